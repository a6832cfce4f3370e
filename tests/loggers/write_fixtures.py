"""Write one small run with each logger losswatch reads: the fixtures in ``runs/`` beside this script.

Real writers where they install offline (W&B 0.31 offline mode, MLflow 3.17 SQLite and file stores,
trackio 0.43); the versions used are written to ``versions.json`` beside this script. The tests read
the committed files and never run these writers; to write them again (after a writer changes its
format): ``pip install -e ".[loggers]" && python tests/loggers/write_fixtures.py``. Lightning, Keras and
Hugging Face need torch or TensorFlow, so their files are written here exactly as their writers do, following:

* Lightning ``CSVLogger``: ``lightning_fabric/loggers/csv_logs.py`` (``_ExperimentWriter.log_metrics``,
  ``save``, ``_rewrite_with_new_header``) and ``pytorch_lightning/core/saving.py`` (``hparams.yaml``),
  pytorch-lightning 2.6.6;
* Keras ``CSVLogger``: ``keras/src/callbacks/csv_logger.py`` (``on_epoch_end``), keras 3.15.1;
* Hugging Face ``Trainer``: ``transformers/trainer_callback.py`` (``TrainerState.save_to_json``:
  ``json.dumps(asdict(state), indent=2, sort_keys=True) + "\\n"``) and ``trainer.py`` (``log``: each
  entry gets ``epoch`` and ``step``; checkpoints in ``checkpoint-<global_step>/``), transformers 5.23.0.

Beside ``runs/``, ``renamed/`` holds a W&B run renamed as it starts. Only what losswatch reads is kept: of a W&B
run folder its ``run-<id>.wandb`` (W&B also writes logs, a copy of the config and the machine's metadata, which say
nothing about the run's points).
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import json
import os
import shutil
import sqlite3
import sys
import time

STEPS = 30


def curves(step: int) -> tuple[float, float]:
    """A training loss that falls and a validation loss that turns up after step 12, with a little noise
    (a fixed pattern, so the test knows every value; too little to move the best step)."""
    train = 1.0 / (step + 1)
    val = 0.5 + abs(step - 12) * 0.0625 + 0.01 * ((step * 7) % 5 - 2)
    return train, val


def write_wandb(folder: str) -> str:
    import wandb

    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    run = wandb.init(project="p", name="wb-run", dir=folder, config={"lr": 0.01, "optimizer": {"name": "adam"}})
    for step in range(STEPS):
        train, val = curves(step)
        run.log({"train/loss": train, "val/loss": val, "lr": 0.01}, step=step)
    run.log({"hist": wandb.Histogram(np_histogram=([1, 2, 3], [0.0, 1.0, 2.0, 3.0]))}, step=STEPS)
    run.finish()
    wandb.teardown()
    return wandb.__version__


def write_wandb_renamed(folder: str) -> None:
    """A W&B run renamed as it starts (``wandb.run.name = ...`` after ``init``): W&B writes a second run record."""
    import wandb

    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    run = wandb.init(project="p", name="wb-first-name", dir=folder)
    run.name = "wb-renamed"
    for step in range(5):
        run.log({"train/loss": 1.0 / (step + 1)}, step=step)
    run.finish()
    wandb.teardown()


STEPLESS = [0.25, 0.5, 0.75]
"""Logged to MLflow without a step (``mlflow.log_metric("gpu_mem", v)``): MLflow stores step 0 for each."""


def _mlflow_log(mlflow, steps: range) -> None:
    for step in steps:
        train, val = curves(step)
        mlflow.log_metrics({"train_loss": train, "val_loss": val}, step=step)
    for value in STEPLESS:
        time.sleep(0.005)  # MLflow stamps in milliseconds: each its own
        mlflow.log_metric("gpu_mem", value)


def write_mlflow(folder: str) -> str:
    import mlflow

    mlflow.set_tracking_uri("sqlite:///" + os.path.join(folder, "mlflow.db"))
    mlflow.set_experiment("exp")
    with mlflow.start_run(run_name="ml-sql") as run:
        mlflow.log_params({"lr": 0.01, "batch_size": 32})
        _mlflow_log(mlflow, range(STEPS))
    with open(os.path.join(folder, "mlflow-run-id"), "w") as handle:
        handle.write(run.info.run_id)
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    mlflow.set_tracking_uri("file://" + os.path.join(folder, "mlruns"))
    mlflow.set_experiment("exp")
    with mlflow.start_run(run_name="ml-file"):
        mlflow.log_params({"lr": 0.02})
        _mlflow_log(mlflow, range(STEPS))
    return mlflow.__version__


def write_trackio(folder: str) -> str:
    os.environ["TRACKIO_DIR"] = folder
    import trackio

    trackio.init(project="tproj", name="tr-run", config={"lr": 0.03})
    for step in range(STEPS):
        train, val = curves(step)
        trackio.log({"train/loss": train, "val/loss": val}, step=step)
    trackio.finish()
    return trackio.__version__


def write_lightning(folder: str) -> None:
    """``CSVLogger`` as Lightning 2.6.6 writes it: sorted header, sparse rows, rewritten when a key appears."""
    log_dir = os.path.join(folder, "lightning_logs", "version_0")
    os.makedirs(os.path.join(log_dir, "checkpoints"))
    with open(os.path.join(log_dir, "hparams.yaml"), "w") as handle:
        handle.write("lr: 0.001\nbatch_size: 64\n")  # save_hparams_to_yaml: yaml.dump of the dict
    path = os.path.join(log_dir, "metrics.csv")
    keys: list[str] = []
    pending: list[dict] = []

    def save() -> None:  # _ExperimentWriter.save
        nonlocal pending
        new = set().union(*pending) - set(keys)
        keys.extend(new)
        keys.sort()
        exists = os.path.isfile(path)
        if new and exists:  # _rewrite_with_new_header
            with open(path, newline="") as handle:
                rows = list(csv.DictReader(handle))
            with open(path, "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=keys)
                writer.writeheader()
                writer.writerows(rows)
        with open(path, "a" if exists else "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=keys)
            if not exists:
                writer.writeheader()
            writer.writerows(pending)
        pending = []

    for epoch in range(STEPS):
        step = epoch * 10 + 9
        train, val = curves(epoch)
        pending.append({"train_loss": train, "epoch": epoch, "step": step})
        if epoch >= 5:  # validation starts after the first save: a new key, so the file is rewritten
            pending.append({"val_loss": val, "epoch": epoch, "step": step})
        if epoch % 5 == 4:
            save()
        if epoch in (11, 12, 13):
            open(os.path.join(log_dir, "checkpoints", f"epoch={epoch}-step={step}.ckpt"), "wb").close()
    save()


def write_keras(folder: str) -> None:
    """``CSVLogger('keras/training.log', separator=';')`` as Keras 3.15.1 writes it, no validation in epoch 0."""
    os.makedirs(os.path.join(folder, "keras"))

    class CustomDialect(csv.excel):
        delimiter = ";"

    with open(os.path.join(folder, "keras", "training.log"), "w") as handle:
        keys = None
        writer = None
        for epoch in range(STEPS):
            train, val = curves(epoch)
            logs = {"loss": train, "val_loss": val} if epoch else {"loss": train}
            if keys is None:
                keys = sorted(logs)
                if not any(k.startswith("val_") for k in keys):
                    keys.extend([f"val_{k}" for k in keys])
                writer = csv.DictWriter(handle, fieldnames=["epoch", *keys], dialect=CustomDialect)
                writer.writeheader()
            writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in keys}})
            handle.flush()


@dataclasses.dataclass
class TrainerState:
    """The fields of transformers' TrainerState that matter here (the rest are written too, as defaults)."""

    epoch: float = 0.0
    global_step: int = 0
    max_steps: int = 0
    logging_steps: int = 10
    eval_steps: int = 10
    save_steps: int = 100
    train_batch_size: int = 8
    num_train_epochs: int = 3
    log_history: list = dataclasses.field(default_factory=list)
    best_metric: float | None = None
    best_global_step: int | None = None
    best_model_checkpoint: str | None = None
    trial_params: dict | None = None


def write_hf(folder: str) -> None:
    out = os.path.join(folder, "hf-out")
    state = TrainerState(max_steps=STEPS * 100)
    for index in range(STEPS):
        step = (index + 1) * 100
        train, val = curves(index)
        epoch = step / 1000
        state.log_history.append({"loss": train, "grad_norm": 1.5, "learning_rate": 5e-5, "epoch": epoch, "step": step})
        state.log_history.append({"eval_loss": val, "eval_runtime": 0.5, "epoch": epoch, "step": step})
        state.global_step, state.epoch = step, epoch
        if step % 500 == 0 or step == 1300:
            checkpoint = os.path.join(out, f"checkpoint-{step}")
            os.makedirs(checkpoint)
            open(os.path.join(checkpoint, "model.safetensors"), "wb").close()
            with open(os.path.join(checkpoint, "trainer_state.json"), "w") as handle:
                handle.write(json.dumps(dataclasses.asdict(state), indent=2, sort_keys=True) + "\n")
    with open(os.path.join(out, "trainer_log.jsonl"), "w") as handle:  # LLaMA-Factory's LogCallback lines
        for index in range(STEPS):
            train, _ = curves(index)
            handle.write(json.dumps({"current_steps": index + 1, "total_steps": STEPS, "loss": train, "lr": 1e-4}))
            handle.write("\n")


def keep_only_what_is_read(folder: str) -> None:
    """Drop what the writers leave beside the logs that losswatch does not read (W&B's logs and metadata)."""
    wandb_dir = os.path.join(folder, "wandb")
    for path in glob.glob(os.path.join(wandb_dir, "*")):
        if os.path.islink(path) or os.path.isfile(path):
            os.remove(path)
    for run_dir in glob.glob(os.path.join(wandb_dir, "*run-*")):
        for path in glob.glob(os.path.join(run_dir, "*")):
            if not path.endswith(".wandb"):
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    for path in glob.glob(os.path.join(folder, "trackio", "*")):
        if not path.endswith(".db"):
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    for db in glob.glob(os.path.join(folder, "**", "*.db"), recursive=True):
        with sqlite3.connect(db) as connection:  # fold a WAL back into the file, so the one file is the database
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for sidecar in (db + "-wal", db + "-shm"):
            if os.path.exists(sidecar):
                os.remove(sidecar)


def write_all(folder: str) -> dict[str, str]:
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    os.chdir(folder)  # MLflow puts a default artifact folder in the working directory
    versions = {"wandb": write_wandb(folder), "mlflow": write_mlflow(folder)}
    versions["trackio"] = write_trackio(os.path.join(folder, "trackio"))
    write_lightning(folder)
    write_keras(folder)
    write_hf(folder)
    versions.update(
        {"pytorch-lightning": "2.6.6 (source)", "keras": "3.15.1 (source)", "transformers": "5.23.0 (source)"}
    )
    keep_only_what_is_read(folder)
    return versions


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "runs")
    written = write_all(os.path.abspath(target))
    renamed = os.path.join(os.path.dirname(os.path.abspath(target)), "renamed")
    shutil.rmtree(renamed, ignore_errors=True)
    os.makedirs(renamed)
    write_wandb_renamed(renamed)
    keep_only_what_is_read(renamed)
    with open(os.path.join(os.path.dirname(os.path.abspath(target)), "versions.json"), "w") as handle:
        json.dump(written, handle, indent=1)
        handle.write("\n")
