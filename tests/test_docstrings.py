"""The public API's docstrings: numpy sections that the API reference renders, and Examples that run.

Issue 12: the documentation site's API reference is generated (mkdocstrings, numpy style) from the
docstrings of every public name, with Parameters / Returns / Raises / Examples, and the Examples run
as doctests. The modules in CONVERTED are held to that rule; add a module to the list once its
docstrings are converted. Two checks per module:

* its doctests pass (``doctest.testmod`` with ELLIPSIS and NORMALIZE_WHITESPACE, in an empty
  namespace, so every example imports what it uses, as a reader copying it would) and it has at
  least one example that runs;
* every public function and class defined in it (names imported from elsewhere are checked where
  they are defined), and every public method and property of those classes, has a docstring with
  the sections that apply: Parameters (or, for a dataclass's fields, Attributes) naming exactly the
  signature's parameters, Returns (or Yields) when the return annotation is not None, and Examples
  for top-level functions and classes. Fields made with ``param`` (unit, range, source) must
  state their valid range in the entry, so the docstring cannot drift from the metadata.

Examples must stay fast (well under a second each after numba compilation): short runs, coarse
scans, tiny sweeps (a few points, a second or two of simulated time); an example that writes files
does so in a temporary folder it removes; ``# doctest: +SKIP`` (with the reason in the docstring)
for what is slow or networked (a validation target, a Dask cluster).
"""

from __future__ import annotations

import contextlib
import dataclasses
import doctest
import importlib
import inspect
import io
import re
import warnings

import pytest

CONVERTED = [
    "reflexsim.presets",
    "reflexsim.joints",
    "reflexsim.protocols",
    "reflexsim.stability",
    "reflexsim.clinical",
    "reflexsim.identification",
    "reflexsim.validation",
    "reflexsim.plotting",
    "reflexsim.animation",
    "reflexsim.reference",
    "reflexsim.triggers",
    "reflexsim.cohort",
    "reflexsim.errors",
    "reflexsim.provenance",
    "reflexsim.files",
    "reflexsim.resources",
    "reflexsim.params",
    "reflexsim.simulation",
    "reflexsim.metrics",
    "reflexsim.treatments",
    "reflexsim.traces",
    "reflexsim.fitting",
    "reflexsim.explorer",
    # reflexsim.sweep (the package) only re-exports: its names are checked in the modules that define them
    "reflexsim.sweep.designs",
    "reflexsim.sweep.spec",
    "reflexsim.sweep.plan",
    "reflexsim.sweep.names",
    "reflexsim.sweep.store",
    "reflexsim.sweep.dataset",
    "reflexsim.sweep.run",
    "reflexsim.sensitivity",
]

# Top-level public functions and classes that need no Examples section: "module.Name" -> why.
NO_EXAMPLES: dict[str, str] = {}

OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

_SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}$", re.MULTILINE)
_ENTRY = re.compile(r"^(?P<names>\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::.*)?$")


@pytest.mark.parametrize("module_name", CONVERTED)
def test_examples_run(module_name: str) -> None:
    module = importlib.import_module(module_name)
    report = io.StringIO()
    with contextlib.redirect_stdout(report), warnings.catch_warnings():
        # An Example may build an animation without rendering it (saving is skipped: it writes a
        # file); matplotlib warns when such an animation is garbage-collected.
        warnings.filterwarnings("ignore", message="Animation was deleted without rendering", category=UserWarning)
        failed, attempted = doctest.testmod(module, globs={}, optionflags=OPTIONFLAGS, report=True)
    assert failed == 0, f"{module_name}: {failed} of {attempted} doctest examples failed\n{report.getvalue()}"
    assert attempted >= 1, f"{module_name}: no doctest example runs (every one is skipped or there are none)"


@pytest.mark.parametrize("module_name", CONVERTED)
def test_docstring_sections(module_name: str) -> None:
    module = importlib.import_module(module_name)
    objects = list(_public_objects(module))
    assert objects, f"{module_name}: no public functions or classes found"
    problems = [problem for qualname, obj, kind in objects for problem in _problems(qualname, obj, kind)]
    assert not problems, f"{module_name}: {len(problems)} docstring problems:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------------------------


def _public_objects(module):
    """(qualified name, object, kind) for the module's own public functions and classes and their
    public methods and properties; kind is "function", "class", "method" or "property"."""
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            yield f"{module.__name__}.{name}", obj, "function"
        elif inspect.isclass(obj):
            yield f"{module.__name__}.{name}", obj, "class"
            for member_name, member in vars(obj).items():
                if member_name.startswith("_"):
                    continue
                qualname = f"{module.__name__}.{name}.{member_name}"
                if isinstance(member, property):
                    yield qualname, member.fget, "property"
                elif isinstance(member, (staticmethod, classmethod)):
                    yield qualname, member.__func__, "method"
                elif inspect.isfunction(member):
                    yield qualname, member, "method"


def _own_doc(obj, kind: str) -> str:
    """The object's own docstring (not inherited), without the signature dataclasses write when a
    class has none."""
    doc = obj.__doc__ or ""
    if kind == "class" and dataclasses.is_dataclass(obj):
        generated = obj.__name__ + str(inspect.signature(obj)).replace(" -> None", "")
        if doc == generated:
            return ""
    return inspect.cleandoc(doc)


def _sections(doc: str) -> dict[str, str]:
    """Numpy-style section title -> its body (up to the next section)."""
    matches = list(_SECTION.finditer(doc))
    return {
        m["title"].strip(): doc[m.end() : matches[i + 1].start() if i + 1 < len(matches) else len(doc)]
        for i, m in enumerate(matches)
    }


def _entries(body: str) -> dict[str, str]:
    """Name -> description of the entries of a Parameters or Attributes section ("a, b : float"
    documents both a and b)."""
    entries: dict[str, str] = {}
    current: list[str] = []
    for line in body.splitlines():
        if line and not line[0].isspace():
            match = _ENTRY.match(line)
            current = [n.strip().lstrip("*") for n in match["names"].split(",")] if match else []
            for name in current:
                entries[name] = line
        elif current:
            for name in current:
                entries[name] += "\n" + line
    return entries


def _signature_parameters(obj, kind: str) -> list[str]:
    if kind == "class":
        if dataclasses.is_dataclass(obj):
            return [f.name for f in dataclasses.fields(obj)]
        init = vars(obj).get("__init__")
        if init is None or not init.__qualname__.startswith(obj.__qualname__ + "."):
            return []  # no __init__ of its own (a typing.Protocol's is typing's placeholder)
        obj = init
    try:
        parameters = inspect.signature(obj).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return []
    return [name for name in parameters if name not in ("self", "cls")]


def _returns_something(obj) -> bool:
    annotation = inspect.signature(obj).return_annotation
    return annotation not in (inspect.Signature.empty, None, "None")


def _problems(qualname: str, obj, kind: str) -> list[str]:
    doc = _own_doc(obj, kind)
    if not doc:
        return [f"{qualname}: no docstring"]
    problems = []
    if not doc.splitlines()[0].strip():
        problems.append(f"{qualname}: the docstring does not start with a summary line")
    if kind == "property":
        return problems
    sections = _sections(doc)
    parameters = _signature_parameters(obj, kind)
    if kind == "class":
        documented = {**_entries(sections.get("Parameters", "")), **_entries(sections.get("Attributes", ""))}
        missing_section = "Parameters or Attributes"
    else:
        documented = _entries(sections.get("Parameters", ""))
        missing_section = "Parameters"
    if parameters and not documented:
        problems.append(f"{qualname}: missing {missing_section} section (for {', '.join(parameters)})")
    else:
        for name in parameters:
            if name not in documented:
                problems.append(f"{qualname}: parameter {name!r} is not in its {missing_section} section")
    for name in _entries(sections.get("Parameters", "")):
        if name not in parameters:  # griffe warns, and mkdocs build --strict fails
            problems.append(f"{qualname}: the Parameters section documents {name!r}, which is not in the signature")
    if kind == "class" and dataclasses.is_dataclass(obj):
        problems += _range_problems(qualname, obj, documented)
    returns = kind in ("function", "method") and _returns_something(obj)
    if returns and "Returns" not in sections and "Yields" not in sections:
        annotation = inspect.signature(obj).return_annotation
        problems.append(f"{qualname}: missing Returns section (it returns {annotation})")
    if kind in ("function", "class") and qualname not in NO_EXAMPLES and "Examples" not in sections:
        problems.append(f"{qualname}: missing Examples section")
    return problems


def _range_problems(qualname: str, cls, documented: dict[str, str]) -> list[str]:
    """Fields made with ``param`` carry a valid range; their entries must state it."""
    problems = []
    for f in dataclasses.fields(cls):
        if "range" not in f.metadata or f.name not in documented:
            continue
        lo, hi = f.metadata["range"]
        shown = f"[{lo:g}, {hi:g}]"
        if shown not in " ".join(documented[f.name].split()):
            problems.append(f"{qualname}: field {f.name!r} does not state its valid range {shown}")
    return problems
