"""Shared test helpers: real fixture runs and real writers."""

from __future__ import annotations

import compileall
import contextlib
import ctypes
import gc
import io
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

# Real servers on 127.0.0.1 (an S3 server, an sshd), started once per session when a test asks.
from servers import s3, s3_server, sshd, sshd_server  # noqa: F401
from tensorboard.compat.proto import event_pb2, types_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

import tui
from tui.sources.points import Decoded
from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.records import RecordReader

DATA = Path(__file__).parent / "data"
TORCH = DATA / "torch"
KERAS = DATA / "keras"


def frame(data: bytes) -> bytes:
    """``data`` as one TFRecord, framed by TensorBoard's own record writer."""
    out = io.BytesIO()
    RecordWriter(out).write(data)
    return out.getvalue()


def read_records(reader: RecordReader) -> list[bytes]:
    """Every record the reader finds appended since its last read, each as bytes."""
    return [
        segment.buffer[o : o + n]
        for segment in reader.segments()
        for o, n in zip(segment.offsets.tolist(), segment.lengths.tolist())
    ]


def decode_file(path: Path | str) -> Decoded:
    """Everything in one event file, decoded as its stream decodes it (bulk where it can, in record order)."""
    decoder = EventDecoder()
    out = Decoded()
    base = 0
    for segment in RecordReader(path).segments():
        decoder.decode_frames(segment.buffer, segment.offsets, segment.lengths, out, base)
        base += len(segment)
    return out


def points(decoded: Decoded, tag: str) -> list[tuple[int, float, float]]:
    """A tag's points as (step, wall_time, value) tuples."""
    if tag not in decoded.scalars:
        return []
    steps, walls, values = decoded.scalars[tag]
    return list(zip(steps.tolist(), walls.tolist(), values.tolist()))


def event_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*tfevents*") if p.is_file())


def pytest_collection_finish(session: pytest.Session) -> None:
    """Spend less of the suite in the garbage collector. Once the tests are collected, everything alive
    (the modules, classes and functions of Textual, numpy, TensorBoard and the tests) is moved out of its
    sight (``gc.freeze``): it lives to the end anyway. And it runs after 10,000 new objects instead of
    700, and a full collection after 400 young ones instead of 100: a pilot test makes a screenful of
    widgets, styles and strips that all live as long as the test. Measured over the suite: collections
    took 18-22 s of the workers' CPU, 11 s now."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def pytest_configure(config: pytest.Config) -> None:
    """Compile ``tui/`` once, before the workers start. The suite starts about 170 Python processes (the
    workers, the commands and TUIs under test); where ``PYTHONDONTWRITEBYTECODE`` is set (as on the
    machines CI runs on) and the checkout is fresh, each of them compiled every module of ``tui/`` again,
    0.06 s of CPU a process. ``__pycache__`` is ignored by git; a read-only checkout is left as it is."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller has done it
        return
    compileall.compile_dir(Path(tui.__file__).parent, quiet=2)


@pytest.hookimpl(optionalhook=True)  # without xdist (-p no:xdist) there is no such hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Two workers per core for ``-n auto``: about half of the suite's time is spent waiting (on the S3
    server and the sshd, on child processes, on Textual's pilot, which sleeps until the app is idle after
    each key), and a second worker per core computes meanwhile. Measured on 2 cores: 73-81 s with one
    worker per core, 61-68 s with two."""
    return 2 * len(os.sched_getaffinity(0))


@pytest.fixture
def fixtures_copy(tmp_path: Path) -> Path:
    """A writable copy of all fixture runs (torch/ and keras/)."""
    target = tmp_path / "logs"
    shutil.copytree(DATA / "torch", target / "torch")
    shutil.copytree(DATA / "keras", target / "keras")
    for path in target.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return target


@pytest.fixture
def logger_logdir(tmp_path: Path) -> Path:
    """A writable copy of the logger fixture runs of ``tests/loggers/runs`` (every format, written by the real
    libraries; see ``logger_runs.py``)."""
    target = tmp_path / "runs"
    shutil.copytree(Path(__file__).parent / "loggers" / "runs", target)
    return target


@pytest.fixture
def forking_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Earlier tests may have left a library's thread running (watchdog keeps one for inotify), which makes
    Workers.start refuse to fork; tests of what workers do fork anyway."""
    from tui.live import firstread

    monkeypatch.setattr(firstread, "_other_threads_running", lambda: False)


def mixed_logdir(tmp_path: Path, generated: int = 6, points: int = 400) -> Path:
    """The real fixtures (overfitting, diverging, frozen layers, Keras) and ``generated`` runs of ``points``
    epochs, some overfitting late: enough runs for worker processes to pay."""
    import numpy as np

    root = tmp_path / "runs"
    for folder in ("torch", "keras"):
        shutil.copytree(DATA / folder, root / folder, ignore=shutil.ignore_patterns("*.json"))
    rng = np.random.default_rng(0)
    for i in range(generated):
        t = np.arange(points)
        val = 0.3 + np.exp(-t / 50) + 0.002 * np.maximum(t - 100 * (i + 1), 0) + rng.normal(0, 0.01, t.size)
        scalar_run(root / f"gen-{i}", {"loss": list(np.exp(-t / 60) + 0.1), "val_loss": list(val)})
    return root


def scalar_event(tag: str, step: int, value: float, wall_time: float = 1.0) -> bytes:
    """A PyTorch-style simple_value event, serialized."""
    event = event_pb2.Event(wall_time=wall_time, step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return event.SerializeToString()


def tf2_scalar_event(
    tag: str, step: int, value: float, wall_time: float = 1.0, first: bool = True, dtype: str = "content32"
) -> bytes:
    """A TF2 tensor-summary scalar; the plugin name only on the first event, like TF2 writes it."""
    event = event_pb2.Event(wall_time=wall_time, step=step)
    summary_value = event.summary.value.add(tag=tag)
    if first:
        summary_value.metadata.plugin_data.plugin_name = "scalars"
    tensor = summary_value.tensor
    if dtype == "content32":
        tensor.dtype = types_pb2.DT_FLOAT
        tensor.tensor_content = struct.pack("<f", value)
    elif dtype == "content64":
        tensor.dtype = types_pb2.DT_DOUBLE
        tensor.tensor_content = struct.pack("<d", value)
    elif dtype == "float_val":
        tensor.dtype = types_pb2.DT_FLOAT
        tensor.float_val.append(value)
    elif dtype == "double_val":
        tensor.dtype = types_pb2.DT_DOUBLE
        tensor.double_val.append(value)
    return event.SerializeToString()


def file_version_event() -> bytes:
    return event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()


def write_records(path: Path, payloads: list[bytes], mode: str = "wb") -> bytes:
    """Frame and write records; return the bytes written."""
    blob = b"".join(frame(p) for p in payloads)
    with open(path, mode) as handle:
        handle.write(blob)
    return blob


def scalar_run(path: Path, tag_values: dict[str, list[float]], start_step: int = 0, wall0: float = 1000.0) -> Path:
    """Write an event file with one point per step per tag (PyTorch format)."""
    path.mkdir(parents=True, exist_ok=True)
    name = path / f"events.out.tfevents.{int(wall0)}.host.1.0"
    payloads = [file_version_event()]
    length = max(len(v) for v in tag_values.values())
    for i in range(length):
        for tag, values in tag_values.items():
            if i < len(values):
                payloads.append(scalar_event(tag, start_step + i, values[i], wall0 + i))
    write_records(name, payloads)
    return name


# The interpreter's readline (which pytest imports) exports the COLUMNS and LINES of a terminal it does not
# have (80 x 24) into the process environment, where child processes find them: the width of `losswatch
# check` in a subprocess test would depend on how pytest was started. Tests that want a width set COLUMNS.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
    os.unsetenv(_name)

# Alert times are shown as local clock times: pin the zone so snapshots match everywhere.
os.environ["TZ"] = "UTC"
import time as _time  # noqa: E402

_time.tzset()


REAL_FILE = event_files(TORCH / "noisy-7")[0]


REAL_BYTES = REAL_FILE.read_bytes()


def frames_of(blob: bytes) -> list[tuple[int, int]]:
    """(start, end) of each record in an intact event file."""
    spans, pos = [], 0
    while pos < len(blob):
        length = int.from_bytes(blob[pos : pos + 8], "little")
        spans.append((pos, pos + 16 + length))
        pos += 16 + length
    return spans


SPANS = frames_of(REAL_BYTES)
"""(start, end) of each record of the real file above."""


REAL_FILE_FOR_DAMAGE = event_files(DATA / "torch" / "noisy-7")[0]


# ---- folders the OS refuses to list --------------------------------------------------------------
# root lists any folder, so for root the refusal another user would get is made real by giving up the two
# capabilities that let root ignore permission bits (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): for the test's
# thread (in-process) or for a child process (from its exec on). Other users just get chmod 0.

_CAPABILITIES_THAT_READ_ANYTHING = (1, 2)
_PR_CAPBSET_DROP = 24


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _capabilities(new: int | None = None) -> int:
    """The calling thread's effective capabilities (low word), set to ``new`` first if given."""
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        pytest.skip("capget failed: cannot make root meet permission bits here")
    if new is not None:
        data[0].effective = new
        if libc.capset(ctypes.byref(_CapHeader(0x20080522, 0)), data) != 0:
            pytest.skip("capset failed: cannot make root meet permission bits here")
    return data[0].effective


@contextlib.contextmanager
def refused(*folders: Path):
    """Make ``folders`` unreadable to this process (its current thread and threads it starts) meanwhile."""
    for folder in folders:
        folder.chmod(0)
    saved = _capabilities() if os.geteuid() == 0 else None
    try:
        if saved is not None:
            mask = sum(1 << cap for cap in _CAPABILITIES_THAT_READ_ANYTHING)
            _capabilities(saved & ~mask)
        yield
    finally:
        if saved is not None:
            _capabilities(saved)
        for folder in folders:
            folder.chmod(0o755)


def meet_permission_bits() -> None:
    """A child's preexec: from its exec on, root too is refused what permission bits refuse."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _CAPABILITIES_THAT_READ_ANYTHING:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            os._exit(97)


FIXTURE_RUNS = [
    "keras/k-healthy",
    "keras/k-overfit",
    "torch/diverge-7",
    "torch/frozen-7",
    "torch/noisy-7",
    "torch/overfit-7",
]
"""The runs under tests/data, as losswatch names them."""


async def until(pilot, ready, what: str, seconds: float = 30.0) -> None:
    """Let the app run until ``ready()`` holds: what a fixed ``pilot.pause(0.3)`` waited for (the app redraws
    and updates its status line on a 0.25 s timer), without waiting longer than it takes. Fails after
    ``seconds`` saying what never came."""
    deadline = _time.monotonic() + seconds
    while not ready():
        if _time.monotonic() > deadline:
            raise AssertionError(f"never {what} ({seconds:g} s)")
        await pilot.pause(0.02)


def run_cli(
    *args: str, cwd: Path | None = None, columns: int | None = None, refuse: bool = False, stdout=subprocess.PIPE
) -> subprocess.CompletedProcess:
    """``python -m tui ARGS`` in a child process; ``columns`` sets COLUMNS, ``refuse`` drops root's file overrides,
    ``stdout`` (a file or descriptor) takes the output instead of a pipe read back."""
    env = dict(os.environ)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        preexec_fn=meet_permission_bits if refuse else None,
    )


def run_main(*args: str, columns: int | None = None) -> subprocess.CompletedProcess:
    """``losswatch ARGS`` in this process (``tui.cli.main.main``), for tests of what a command prints rather
    than of the process (signals, exit of a whole interpreter, dropped file permissions: those use
    ``run_cli``). Output is taken as from a pipe: not a terminal, UTF-8 that refuses what UTF-8 cannot
    encode, read back with universal newlines; ``columns`` sets COLUMNS meanwhile."""
    from tui.cli.main import main

    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True) for _ in range(2))
    before = os.environ.pop("COLUMNS", None)
    if columns is not None:
        os.environ["COLUMNS"] = str(columns)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as stop:  # argparse: --help, or arguments it refuses
                code = 0 if stop.code is None else stop.code
    finally:
        os.environ.pop("COLUMNS", None)
        if before is not None:
            os.environ["COLUMNS"] = before

    def text(stream: io.TextIOWrapper) -> str:
        return io.TextIOWrapper(io.BytesIO(stream.buffer.getvalue()), encoding="utf-8").read()

    return subprocess.CompletedProcess(["losswatch", *args], code, text(out), text(err))


def use_kernel(module: object, compiled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``module``'s loops compiled (skipped where no C compiler built them) or as its Python reference."""
    if not compiled:
        monkeypatch.setattr(module, "_kernels", None)
    elif module._kernels is None:
        pytest.skip("built without a C compiler")
