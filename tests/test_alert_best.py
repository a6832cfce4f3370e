"""An alert tells validation's best as it stood when the alert was raised, read whole (``check``, the live view's
first read) or a step at a time (``replay``, live): the checkpoint an overfitting alert names, the best a bell's
notification gives."""

from __future__ import annotations

from pathlib import Path


def test_an_overfitting_alert_names_the_checkpoint_of_its_own_best_read_whole_or_live(tmp_path: Path):
    """Validation rises (the bell at step 46, best at 40), then falls to a new best at 108. Read whole (``check``,
    the live view's first read) the alert named the checkpoint of the best at the end, which it could not know
    of: "no checkpoint at the best step 108; the nearest, step=110.ckpt"; replayed a step at a time, step=40's."""
    import numpy as np
    from conftest import scalar_run

    from tui.judging.replay import replay
    from tui.judging.thresholds import Thresholds
    from tui.live.monitor import Monitor
    from tui.notify import notification_body

    epochs = np.arange(120)
    val = np.where(epochs < 40, 1.5 * np.exp(-epochs / 15) + 0.3, 0.3 + 0.02 * (epochs - 40))
    val = np.maximum(np.where(epochs >= 70, 0.9 - 0.03 * (epochs - 70), val), 0.1)
    val += np.random.default_rng(0).normal(0, 0.005, len(epochs))
    run_folder = tmp_path / "run"
    scalar_run(run_folder, {"train_loss": (2 * np.exp(-epochs / 30) + 0.05).tolist(), "val_loss": val.tolist()})
    (run_folder / "checkpoints").mkdir()
    for step in range(0, 120, 10):
        (run_folder / "checkpoints" / f"step={step}.ckpt").write_bytes(b"w")
    monitor = Monitor(str(tmp_path), Thresholds())
    monitor.refresh()
    whole = [a for a in monitor.alerts if a.kind == "overfitting"]
    stepped = [a for a in replay(monitor.store.runs["run"], Thresholds())[0] if a.kind == "overfitting"]
    assert [a.reason for a in whole] == [a.reason for a in stepped] and len(whole) == 1
    assert whole[0].reason.endswith("; keep step=40.ckpt") and monitor.verdict("run").best_step > 100
    best_now = monitor.verdict("run").best_step  # the terminal notification names the alert's best too
    assert notification_body(whole[0], best_now) == "run: overfitting at step 46, best val at step 40"


def test_a_diverging_bell_gives_the_best_of_its_own_step_read_whole_or_a_step_at_a_time(tmp_path: Path):
    """Training blows up at step 15 and recovers; validation falls on to its best at step 39. Read whole, the
    bell's notification said "best val at step 39", a step not written when it rang."""
    import numpy as np
    from conftest import scalar_run

    from tui.judging.replay import replay
    from tui.judging.thresholds import Thresholds
    from tui.live.monitor import Monitor
    from tui.notify import notification_body

    epochs = np.arange(40)
    train = 2.0 * np.exp(-epochs / 8) + 0.2
    train[15] = 60.0
    scalar_run(
        tmp_path / "spike", {"train/loss": train.tolist(), "val/loss": (2.1 * np.exp(-epochs / 10) + 0.25).tolist()}
    )
    monitor = Monitor(str(tmp_path), Thresholds())
    monitor.refresh()
    whole = [a for a in monitor.alerts if a.kind == "diverging"]
    stepped = [a for a in replay(monitor.store.runs["spike"], Thresholds())[0] if a.kind == "diverging"]
    assert [a.best_step for a in whole] == [a.best_step for a in stepped] == [14]
    assert (
        notification_body(whole[0], monitor.verdict("spike").best_step)
        == "spike: diverging at step 15, best val at step 14"
    )
