"""Moved to `reflexsim.cli.research_command`; this name stays for imports written before 0.2.1."""

from .cli.research_command import beats_payload, metrics_lines, register

__all__ = ["beats_payload", "metrics_lines", "register"]
