"""Sweeps on a real Dask cluster: a LocalCluster of 2 worker processes on the loopback interface."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

pytest.importorskip("distributed")
xr = pytest.importorskip("xarray")

from reflexsim.presets import preset  # noqa: E402
from reflexsim.sweep import dask_client, load, sweep  # noqa: E402

SEVERE = preset("severe")
SPEC = {"reflex.gain": np.linspace(0.0, 7.0, 6), "reflex.delay_s": np.linspace(0.02, 0.07, 4)}
OPTIONS = {"duration_s": 4.0, "chunk_size": 2, "kernel_name": "exact"}  # 12 chunks of ~30 ms each
N_CHUNKS = 12


@pytest.fixture(scope="module")
def client():
    with dask_client("local:2") as c:
        yield c


@pytest.fixture(scope="module")
def local_result():
    return sweep(SEVERE, SPEC, **OPTIONS)


def test_dask_gives_the_same_dataset_as_a_local_run(client, local_result, tmp_path):
    ds = sweep(SEVERE, SPEC, **OPTIONS, client=client, out=tmp_path / "d.nc")
    xr.testing.assert_identical(ds, local_result)
    xr.testing.assert_identical(load(tmp_path / "d.nc"), local_result)


def test_a_killed_worker_costs_only_its_chunks_and_every_point_arrives_once(client, local_result, tmp_path):
    pid_of = client.run(os.getpid)  # worker address -> process id
    assert len(pid_of) == 2
    reports, killed = [], []

    def kill_a_busy_worker_after_the_first_chunk(report):
        reports.append(report.index)
        if not killed:
            busy = [address for address, tasks in client.processing().items() if tasks]
            killed.append(pid_of[busy[0] if busy else next(iter(pid_of))])
            os.kill(killed[0], signal.SIGKILL)  # its running chunk is lost with it

    out = tmp_path / "killed.nc"
    ds = sweep(SEVERE, SPEC, **OPTIONS, client=client, out=out, on_chunk=kill_a_busy_worker_after_the_first_chunk)
    assert sorted(reports) == list(range(N_CHUNKS))  # each chunk reported (and saved) exactly once
    xr.testing.assert_identical(ds, local_result)
    xr.testing.assert_identical(load(out), local_result)
    assert killed[0] not in client.run(os.getpid).values()  # the nanny started a fresh worker
