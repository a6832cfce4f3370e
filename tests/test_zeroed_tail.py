"""A text log whose end a crash left as zero bytes (the file's last blocks allocated, never written): it was said
to be "a job still writing, or a file cut short", as a line being written is. No writer writes zero bytes in a
line: they are damage, said so, and a writer that goes on after them costs one damaged line, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from tui.live.monitor import Monitor

ZEROS = b"\0" * 4096


def _jsonl(steps: range) -> bytes:
    return b"".join(
        json.dumps({"step": s, "loss": 1.0 / (s + 1), "val_loss": 1.1 / (s + 1)}).encode() + b"\n" for s in steps
    )


def test_zero_bytes_after_a_logs_last_line_are_damage_not_a_line_being_written(tmp_path: Path):
    (tmp_path / "jl").mkdir()
    log = tmp_path / "jl" / "metrics.jsonl"
    log.write_bytes(_jsonl(range(10)) + ZEROS)
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "log.csv").write_bytes(b"epoch,loss,val_loss\n0,1.0,1.1\n1,0.9,1.0\n2,0.8,0.9\n" + ZEROS)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    for name, points in (("jl", 10), ("csv", 3)):
        run = monitor.store.runs[name]
        assert len(run.scalars["loss"]) == points
        assert run.incomplete_bytes == 0 and run.damaged
        assert run.damage_note() == "skipped 4,096 unreadable byte(s); everything else was read"
    with open(log, "ab") as handle:  # the job started again, appending after the zeros
        handle.write(_jsonl(range(10, 15)))
    monitor.refresh()
    run = monitor.store.runs["jl"]
    # The zeros end no line of the job's: its first line after them is read (it was lost as a damaged record)
    assert run.scalars["loss"].steps.tolist() == list(range(15))
    assert run.incomplete_bytes == 0 and run.skipped_bytes == len(ZEROS) and run.skipped_records == 0


def test_a_line_being_written_is_still_waited_for(tmp_path: Path):
    (tmp_path / "jl").mkdir()
    (tmp_path / "jl" / "metrics.jsonl").write_bytes(_jsonl(range(5)) + b'{"step": 5, "lo')
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["jl"]
    assert run.incomplete_bytes == len(b'{"step": 5, "lo') and not run.damaged
