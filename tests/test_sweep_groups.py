"""Finding sweeps: every naming style, HParams from real writers, hyper-parameters of other formats, --sweep."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sweep_fixtures import write_run

from tui.judging.stalled import planned_in
from tui.judging.sweep_groups import as_value, find_sweeps, may_join_a_sweep, parse_name, run_params
from tui.live.monitor import Monitor
from tui.sources.points import Decoded
from tui.store import Store


def _sweeps(names, logged=None, pattern=None):
    runs = {name: (logged or {}).get(name, {}) for name in names}
    return {s.name: s for s in find_sweeps(runs, re.compile(pattern) if pattern else None)}


@pytest.mark.parametrize(
    ("names", "sweep", "key", "values"),
    [
        (["sweep/lr=0.3", "sweep/lr=0.1", "sweep/lr=0.03"], "sweep", "lr", [0.3, 0.1, 0.03]),
        (["s/lr_1e-3", "s/lr_1e-2", "s/lr_1e-4"], "s", "lr", [0.001, 0.01, 0.0001]),
        (["s/bs64", "s/bs128", "s/bs32"], "s", "bs", [64, 128, 32]),
        (["s/wd=1e-4", "s/wd=1e-3"], "s", "wd", [0.0001, 0.001]),
        (["s/wd=1e-4,lr=0.3", "s/wd=1e-4,lr=0.1"], "s", "lr", [0.3, 0.1]),
        (["s/run_lr-0.01_bs64", "s/run_lr-0.1_bs64"], "s", "lr", [0.01, 0.1]),
        (["resnet-lr3e-4", "resnet-lr1e-3"], "resnet-lr*", "lr", [0.0003, 0.001]),
        (["g/opt=adam", "g/opt=sgd"], "g", "opt", ["adam", "sgd"]),
    ],
    ids=["key=value", "key_value", "keyVALUE", "scientific", "two-keys", "key-value", "top-level", "strings"],
)
def test_every_naming_style_forms_a_sweep_with_values_parsed(names, sweep, key, values):
    found = _sweeps(names)
    assert set(found) == {sweep}
    assert found[sweep].swept == (key,)
    assert {name: found[sweep].params[name][key] for name in found[sweep].runs} == dict(zip(names, values))
    assert all(type(v) is type(values[0]) for v in values)  # numbers are numbers, text stays text


def test_nested_folders_one_sweep_with_every_value():
    names = [f"grid/lr={lr}/seed={seed}" for lr in (0.1, 0.01) for seed in (1, 2)]
    (sweep,) = _sweeps(names).values()
    assert sweep.name == "grid" and set(sweep.runs) == set(names) and sweep.swept == ("lr", "seed")
    assert sweep.params["grid/lr=0.01/seed=2"] == {"lr": 0.01, "seed": 2}


def test_seeds_written_s1_s2_are_replicas_in_one_sweep_not_a_sweep_each():
    """``lr=0.1-s1``: the seed stayed part of the name, and each seed made a sweep of its own (DeepOBS's
    ``cifar10_3c3d-adam-lr1.00e-03-s42`` too)."""
    names = [f"grid/lr={lr}-s{seed}" for lr in (0.1, 0.01) for seed in (1, 2)]
    (sweep,) = _sweeps(names).values()
    assert set(sweep.runs) == set(names) and sweep.swept == ("lr", "seed")
    assert sweep.params["grid/lr=0.01-s2"] == {"lr": 0.01, "seed": 2}
    deepobs = [f"adam-lr{lr:.2e}-s{seed}" for lr in (1e-3, 1e-2) for seed in (42, 43)]
    assert [len(s.runs) for s in _sweeps(deepobs).values()] == [4]
    assert _sweeps(["resnet-s1", "resnet-s2", "resnet-s3"]) == {}  # seeds of one configuration: no sweep
    # The review of the first rule ('s' an identifier in any form): ArcFace's scale s=30 is a hyper-parameter, and
    # S16 (a ViT's size, as written) no seed.
    assert [s.swept for s in _sweeps(["arcface_s=30", "arcface_s=64"]).values()] == [("s",)]
    vits = _sweeps(["vit-S16_lr0.1", "vit-S16_lr0.01", "vit-S32_lr0.1", "vit-S32_lr0.01"])
    assert sorted(len(s.runs) for s in vits.values()) == [2, 2]


def test_sweeps_sharing_a_folder_are_each_named_by_their_own_shape():
    """One folder of three optimizers' sweeps (DeepOBS's ``cifar10_3c3d/cifar10_3c3d-adam-lr…``): the first sweep
    found took the folder's name, as if it were all 135 runs, and never said ``adam``; the others their shape."""
    names = [f"p/p-{opt}-lr{lr:.2e}-s42" for opt in ("adam", "mom", "sgd") for lr in (1e-3, 1e-2)]
    assert set(_sweeps(names)) == {"p/p-adam-lr*-s*", "p/p-mom-lr*-s*", "p/p-sgd-lr*-s*"}
    assert set(_sweeps([f"q/lr={lr}" for lr in (0.1, 0.01)])) == {"q"}  # a folder of one sweep is its name


def test_not_a_sweep_replicas_numbered_runs_different_shapes_and_single_runs():
    assert _sweeps(["s/seed=1", "s/seed=2", "s/seed=3"]) == {}  # replicas of one configuration
    assert _sweeps([f"run-{i:03d}" for i in range(5)]) == {}
    assert _sweeps(["torch/diverge-7", "torch/frozen-7", "keras/k-healthy"]) == {}  # the fixtures: names, not values
    assert _sweeps(["a/lr=0.1"]) == {}
    found = _sweeps(["x/lr=0.1", "x/lr=0.2", "x/wd=0.1", "x/wd=0.2"])
    assert sorted(len(s.runs) for s in found.values()) == [2, 2]  # two shapes: two sweeps


def test_words_with_numbers_that_name_no_hyper_parameter_stay_in_the_name():
    assert parse_name("cifar10_3c3d-adam/lr=0.001") == ("cifar10_3c3d-adam/lr=*", (("lr", 0.001),))
    assert parse_name("resnet18-lr3e-4")[1] == (("lr", 0.0003),)
    assert as_value("64") == 64 and as_value("1e-05") == 1e-05 and as_value(64.0) == 64 and as_value("True") is True


def test_logged_hyper_parameters_form_a_sweep_and_win_over_the_name():
    logged = {"hp/a": {"lr": 0.1, "bs": 32}, "hp/b": {"lr": 0.01, "bs": 32}, "hp/c": {"lr": 0.001, "bs": 32}}
    (sweep,) = _sweeps(logged, logged).values()
    assert sweep.name == "hp" and sweep.swept == ("lr",) and sweep.params["hp/b"] == {"lr": 0.01, "bs": 32}
    assert run_params("s/lr=0.1", {"lr": "0.2", "dropout": 0.5}) == {"lr": 0.2, "dropout": 0.5}


def test_snake_case_keys_are_read_whole():
    """``batch_size=32``, ``weight_decay=1e-01``, ``learning_rate=0.001`` read as ``size``, ``decay`` and ``rate``
    (the sweep view's column headings), and ``warmup_steps=100 … 300`` as ``steps``, a planned length: no sweep, and
    beside a learning rate each run's "planned" end was its warm-up."""
    assert parse_name("a/batch_size=32,weight_decay=1e-01") == (
        "a/batch_size=*,weight_decay=*",
        (("batch_size", 32), ("weight_decay", 0.1)),
    )
    assert parse_name("num_layers=1-hidden_dim=64")[1] == (("num_layers", 1), ("hidden_dim", 64))
    assert parse_name("exp1_lr=0.1")[1] == (("lr", 0.1),)  # a word with digits stays the name's
    (warmup,) = _sweeps([f"b/warmup_steps={k}" for k in (100, 200, 300)]).values()
    assert warmup.swept == ("warmup_steps",)
    assert planned_in(run_params("b/warmup_steps=100,learning_rate=0.1")) is None


def test_jobs_that_differ_only_in_their_planned_length_are_no_sweep():
    """A hostile tester's find: three Trainer output folders, one job of 3, 5 and 8 epochs (their logged
    ``num_train_epochs`` and ``max_steps`` differ, nothing else), were a sweep named '.', and one was told to stop,
    behind its peers. A planned length alone, as a seed alone, makes no sweep; beside a learning rate it is one."""
    lengths = {f"out{k}": {"num_train_epochs": k, "max_steps": 100 * k, "train_batch_size": 8} for k in (3, 5, 8)}
    assert _sweeps(lengths, lengths) == {}
    swept = {name: {**params, "learning_rate": 10.0**-k} for k, (name, params) in enumerate(lengths.items())}
    (sweep,) = _sweeps(swept, swept).values()
    assert "learning_rate" in sweep.swept


def test_sweep_regex_overrides_grouping_one_sweep_per_group_value():
    names = ["exp/a-small", "exp/a-large", "exp/b-small", "exp/b-large", "other/lr=0.1", "other/lr=0.2"]
    found = _sweeps(names, pattern=r"exp/(\w)-")
    assert set(found) == {"a", "b"} and found["a"].runs == ("exp/a-large", "exp/a-small")
    assert set(_sweeps(names, pattern=r"^exp/")) == {"^exp/"}  # no group: one sweep of every match
    # A group that matched nothing names no sweep: a hostile tester's '(.*)lr=' on 'lr=0.1' named it '' (null).
    assert set(_sweeps(["lr=0.1-s1", "lr=0.01-s1"], pattern=r"(.*)lr=")) == {"(.*)lr="}


def _event_runs(root: Path) -> dict:
    monitor = Monitor(str(root))
    monitor.refresh()
    return monitor


def test_hparams_of_tensorboardx_add_hparams_lend_to_the_parent_run(tmp_path: Path):
    from tensorboardX import SummaryWriter

    for lr in (0.1, 0.01, 0.001):
        writer = SummaryWriter(str(tmp_path / "runs" / f"trial-{lr}"))  # names carry no hyper-parameter
        for step in range(5):
            writer.add_scalar("train_loss", 1.0 / (step + 1), step)
            writer.add_scalar("val_loss", 1.0 / (step + 1) + lr, step)
        writer.add_hparams({"lr": lr, "optimizer": "adam", "layers": 4}, {"hparam/val": 0.5})  # a sub-run
        writer.close()
    monitor = _event_runs(tmp_path)
    # The sub-run add_hparams writes (a folder named by the time) is no run of its own: its parent has them.
    assert sorted(monitor.store.runs) == [f"runs/trial-{lr}" for lr in (0.001, 0.01, 0.1)]
    assert monitor.store.runs["runs/trial-0.1"].hparams == {"lr": 0.1, "optimizer": "adam", "layers": 4}
    (sweep,) = monitor.sweeps.sweeps
    assert sweep.name == "runs" and sweep.swept == ("lr",)
    assert set(sweep.runs) == {f"runs/trial-{lr}" for lr in (0.1, 0.01, 0.001)}
    assert sweep.params["runs/trial-0.01"] == {"lr": 0.01, "optimizer": "adam", "layers": 4}


def test_hparams_summary_in_the_run_itself_as_keras_and_lightning_write_it(tmp_path: Path):
    for i, dropout in enumerate((0.0, 0.2, 0.5)):
        write_run(tmp_path / f"run{i}", [1.0, 0.8, 0.7], hparams={"dropout": dropout, "width": 256})
    monitor = _event_runs(tmp_path)
    assert monitor.store.runs["run1"].hparams == {"dropout": 0.2, "width": 256.0}
    (sweep,) = monitor.sweeps.sweeps
    assert sweep.swept == ("dropout",) and sweep.params["run2"] == {"dropout": 0.5, "width": 256}


def test_hyper_parameters_from_other_formats_arrive_in_run_hparams():
    """W&B config, MLflow params, Lightning hparams.yaml: every source fills Decoded.hparams; the store keeps them."""
    store = Store()
    for name, config in {"wandb/run-a": {"lr": "3e-4", "bs": 64}, "wandb/run-b": {"lr": "1e-3", "bs": 64}}.items():
        decoded = Decoded()
        decoded.hparams.update(config)
        store.apply(name, decoded)
    (sweep,) = find_sweeps({name: run.hparams for name, run in store.runs.items()})
    assert sweep.swept == ("lr",) and sweep.params["wandb/run-a"] == {"lr": 0.0003, "bs": 64}


def test_which_runs_check_keeps_whole_validation_curves_for():
    assert may_join_a_sweep("s/lr=0.1", [])
    assert may_join_a_sweep("runs/a", ["runs/a/1699999999.5"])  # an add_hparams sub-run inside
    assert may_join_a_sweep("plain", [], {"lr": 0.1})
    assert not may_join_a_sweep("run-007", ["run-008"])


def test_runs_numbered_one_to_n_are_replicas_and_an_integer_swept_is_a_sweep(tmp_path: Path):
    """A user's find: 200 replicas of one configuration, ``r1`` … ``r200``, were a sweep over ``r`` (LoRA's rank, a
    name that makes ``r8`` a hyper-parameter), and told the unlucky ones to stop. A key that gives every run its own
    integer from 0 or 1 on, alone varying, numbers the runs as a seed does; LoRA's ``r8, r16, r32`` and
    ``layers=2,4,8`` stay sweeps, and so do a few runs of a contiguous integer (``layers=1 … 4``)."""
    curve = np.linspace(2.3, 1.0, 6)
    for i in range(1, 201):
        write_run(tmp_path / "replicas" / f"r{i}", curve)
    for i in range(12):
        write_run(tmp_path / "from0" / f"r{i}", curve)
    for r in (8, 16, 32):
        write_run(tmp_path / "lora" / f"r{r}", curve)
    for layers in (2, 4, 8):
        write_run(tmp_path / "depth" / f"layers={layers}", curve)
    for layers in (1, 2, 3, 4):
        write_run(tmp_path / "shallow" / f"layers={layers}", curve)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert {s.name: s.swept for s in monitor.sweeps.sweeps} == {
        "lora": ("r",),
        "depth": ("layers",),
        "shallow": ("layers",),
    }
    assert "replicas/r7" not in monitor.sweeps.of_run and "from0/r0" not in monitor.sweeps.of_run
    # Some replicas deleted, or logged as an index: replicas still; beside a learning rate, swept with it.
    assert _sweeps([f"rep/r{i}" for i in range(1, 201) if i % 15]) == {}
    logged = {f"hp/t{k}": {"r": k, "dropout": 0.1} for k in range(1, 13)}
    assert _sweeps(logged, logged) == {}
    assert [s.swept for s in _sweeps([f"g/lr={0.1 * i:g}_r{i}" for i in range(1, 13)]).values()] == [("lr", "r")]
