"""Start-up: a command imports only what it needs (pandas only for `export`, Textual only for the live view,
the loggers' own libraries never for their files), so `losswatch --version` and `check` start in a fraction
of a second (README, Performance)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import DATA

HEAVY = (
    "pandas",
    "tbparse",
    "pyarrow",
    "textual",
    "textual_plotext",
    "plotext",
    "watchdog",
    "wandb",
    "mlflow",
    "trackio",
)


def modules_after(*argv: str) -> set[str]:
    """The top-level packages imported by a fresh interpreter that ran ``losswatch ARGV``."""
    script = (
        "import contextlib, io, json, sys\n"
        "from tui.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    try:\n"
        f"        main({list(argv)!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout))


def test_version_imports_neither_numpy_nor_protobuf_nor_anything_heavy():
    loaded = modules_after("--version")
    assert "tui" in loaded
    assert not loaded & {*HEAVY, "numpy", "google", "tensorboard", "rich"}


def test_check_imports_no_dataframes_and_no_tui(tmp_path):
    loaded = modules_after("check", str(DATA), "--json")
    assert {"numpy", "tensorboard"} <= loaded  # it did read the runs
    assert not loaded & set(HEAVY)


def test_export_is_what_imports_pandas(tmp_path):
    loaded = modules_after("export", str(DATA / "torch"), "-o", str(tmp_path / "points.csv"))
    assert "pandas" in loaded
    assert (tmp_path / "points.csv").stat().st_size > 0
