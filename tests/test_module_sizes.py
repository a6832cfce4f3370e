"""Small modules with one job each: a module past 500 lines is doing two jobs (the developers' brief)."""

from __future__ import annotations

from pathlib import Path

LIMIT = 500
ROOT = Path(__file__).resolve().parent.parent


def test_every_module_is_at_most_500_lines():
    """Python and C alike (the compiled loops are modules too)."""
    modules = [
        p for folder in ("tui", "tests", "benchmarks") for ext in ("py", "c") for p in (ROOT / folder).rglob(f"*.{ext}")
    ]
    modules = [p for p in modules if "_work" not in p.parts]
    assert len(modules) > 100  # the package, its tests and benchmarks were found
    long = {str(p.relative_to(ROOT)): n for p in modules if (n := len(p.read_text().splitlines())) > LIMIT}
    assert not long, f"split these modules (lines): {long}"
