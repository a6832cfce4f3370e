"""A suite of training curves logged alone at every step: the DeepOBS development set's real per-step losses.

A language model's pretraining or a fine-tuning job often logs its training loss at every step and no validation.
The development set (``../shared/deepobs-dev``) keeps every run's per-step training losses (thinned to about 2,000
points, the j-th kept at step ``j * mb_k``); this suite writes them alone, one event file per run, at their real
steps, under the development set's labels. Each epoch's step (``steps_per_epoch``) puts each alert at its epoch, so a
divergence is scored against its labelled onset as in the other suites. What the suite asks: no bell on a healthy
or stuck run, every divergence in time, and the final verdicts a practitioner would read off the curve: stuck
nets `plateau`, nets that levelled off `converged`, nets still falling `learning` (with no learning rate logged,
a net that learned gradually and is flat reads `converged`). Reproduce:

    python benchmarks/verdicts.py --suites lone
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np

from tui.sources.tensorboard.writer import EventWriter

START = 1_560_000_000.0
"""A fixed wall-clock origin (a second per logged step): the files are the same every time."""


def build(outdir: str, deepobs: str) -> None:
    """Write each run's per-step training loss alone under ``outdir`` and its label to ``labels.json``."""
    data = np.load(os.path.join(deepobs, "deepobs.npz"))
    with open(os.path.join(deepobs, "labels.json")) as handle:
        labels = json.load(handle)
    meta = json.loads(str(data["meta"]))
    losses, offsets = data["mb"], data["mb_off"]
    written = {}
    for i, run in enumerate(meta):
        values = losses[offsets[i] : offsets[i + 1]].astype(np.float64)
        every = 1 if run["mb_full"] else run["mb_k"]
        writer = EventWriter(os.path.join(outdir, run["id"]))
        for j, value in enumerate(values.tolist()):
            writer.add_scalar("train/loss", value, j * every, START + j)
        writer.close()
        label = labels[run["id"]]
        epochs = [epoch * run["steps_per_epoch"] for epoch in range(label["epochs"])]  # 0: before training
        written[run["id"]] = {"kind": label["kind"], "onset": label.get("onset"), "val_steps": epochs}
    with open(os.path.join(outdir, "labels.json"), "w") as handle:
        json.dump(written, handle, indent=1)
