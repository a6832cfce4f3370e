"""``check`` on a sweep grouped by ``--sweep`` alone (run names with no setting in them): its runs, read in worker
processes, came back as their newest point only, and the sweep's judge had no curve to judge: ``replay`` and
``watch --plain`` said a run was behind its peers, ``check`` did not (a hostile tester's find)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from conftest import run_cli, scalar_run


def test_check_gives_a_sweep_found_by_pattern_the_advice_replay_gives(tmp_path: Path):
    rng = np.random.default_rng(0)
    steps = np.arange(40)
    for name in "abcdefgh":  # eight runs: enough for check to read them in worker processes
        fast = 1.0 / (1 + 0.2 * steps)
        val = (2.0 / (1 + 0.02 * steps) if name == "h" else fast) + 0.02 + 0.005 * rng.standard_normal(40)
        scalar_run(tmp_path / f"tb-{name}", {"loss": list(val - 0.01), "val_loss": list(val)})
    replayed = run_cli("replay", "--json", "--sweep", "^(tb)-", str(tmp_path))
    behind = {json.loads(line)["run"] for line in replayed.stdout.splitlines() if '"behind-peers"' in line}
    assert behind == {"tb-h"}
    checked = json.loads(run_cli("check", "--json", "--sweep", "^(tb)-", str(tmp_path)).stdout)
    flagged = {row["run"] for row in checked if any(flag["name"] == "behind-peers" for flag in row["flags"])}
    assert flagged == behind
    assert {row["sweep"] for row in checked} == {"tb"}
