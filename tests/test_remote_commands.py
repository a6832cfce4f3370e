"""The same runs read locally, from the S3 server and over ssh, alone or mixed: the same runs, tags,
verdicts and last values in check, replay, watch --plain and the TUI; a live job in S3 rings the bell;
an unreachable root is a status line while the others go on."""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import DATA, FIXTURE_RUNS, scalar_run
from servers import S3Mirror, S3Server, Sshd

from tui.app.app import LossWatchApp
from tui.app.runs_table import RunRow
from tui.live.demo import DemoJobs, Job
from tui.live.group import MonitorGroup, build_monitor
from tui.sources.roots.parse import parse_root

DEADLINE = 120.0
FEW_RUNS = ("keras/k-overfit", "torch/diverge-7")
"""One run of each layout (Keras' train/validation folders, one PyTorch event file), overfitting and diverging."""


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server) -> dict[str, str]:
    """The fixture runs in three places: a local folder, a prefix in a bucket, a folder over ssh.

    Made once per module: no test writes to them."""
    logs = tmp_path_factory.mktemp("places") / "logs"
    shutil.copytree(DATA / "torch", logs / "torch")
    shutil.copytree(DATA / "keras", logs / "keras")
    bucket = s3_server.new_bucket()
    s3_server.upload_tree(logs, bucket, "runs")
    few = logs.parent / "few"  # FEW_RUNS, for a mixed root that need not read every run three times
    for run in FEW_RUNS:
        shutil.copytree(logs / run, few / run)
    s3_server.upload_tree(few, bucket, "few")
    return {
        "local": str(logs),
        "s3": f"s3://{bucket}/runs",
        "ssh": f"lwtest:{logs}",
        "bucket": bucket,
        "few-local": str(few),
        "few-s3": f"s3://{bucket}/few",
        "few-ssh": f"lwtest:{few}",
    }


@pytest.fixture
def places(uploaded: dict[str, str], s3: S3Server, sshd: Sshd) -> dict[str, str]:
    """The three places, with this test's environment reaching the S3 server and the sshd."""
    return uploaded


def cli(*args: str, timeout: float = DEADLINE) -> subprocess.CompletedProcess:
    """``losswatch ARGS`` in a new process, with this test's environment (endpoint, ssh command)."""
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ)
    )


def clis(*commands: list[str]) -> list[subprocess.CompletedProcess]:
    """Each ``losswatch ARGS`` in its own process, all at once (while one waits on a server, another computes)."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tui", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for args in commands
    ]
    done = []
    try:
        for args, process in zip(commands, processes):
            stdout, stderr = process.communicate(timeout=DEADLINE)
            done.append(subprocess.CompletedProcess(args, process.returncode, stdout, stderr))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    return done


def everywhere(places: dict[str, str]) -> list[list[str]]:
    """The roots of each comparison: local alone, the bucket alone, over ssh alone, and all three at once."""
    return [[places["local"]], [places["s3"]], [places["ssh"]], places_all(places)]


def unprefixed(name: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if name.startswith(prefix + ":"):
            return name[len(prefix) + 1 :]
    return name


def check_records(done: subprocess.CompletedProcess) -> dict[str, dict]:
    assert done.returncode == 1, done.stderr  # the fixtures hold overfitting and diverging runs
    return {record.pop("run"): record for record in json.loads(done.stdout)}


def test_check_gives_the_same_runs_verdicts_and_values_everywhere(places: dict[str, str]) -> None:
    local, s3, ssh, mixed = map(check_records, clis(*(["check", "--json", *roots] for roots in everywhere(places))))
    assert len(local) == 6
    assert s3 == local
    assert ssh == local
    assert set(mixed) == {f"{source}:{run}" for source in ("logs", places["bucket"], "lwtest") for run in local}
    for name, record in mixed.items():
        assert record == local[name.split(":", 1)[1]]


def test_replay_gives_the_same_alerts_everywhere(places: dict[str, str]) -> None:
    """Every run alone in each place; mixed, the three places of FEW_RUNS (replay is point by point, the
    costliest command: three copies of every run took as long as the three places alone)."""
    prefixes = ("logs", "few", places["bucket"], "lwtest")

    def alerts(done: subprocess.CompletedProcess) -> list[tuple]:
        assert done.returncode == 0, done.stderr
        records = [json.loads(line) for line in done.stdout.splitlines()]
        return sorted((unprefixed(r["run"], prefixes), r["step"], r["kind"], r["tag"], r["reason"]) for r in records)

    alone = [[places["local"]], [places["s3"]], [places["ssh"]]]
    mixed_few = [places["few-local"], places["few-s3"], places["few-ssh"]]
    local, s3, ssh, mixed = map(alerts, clis(*(["replay", "--json", *roots] for roots in [*alone, mixed_few])))
    assert any(kind == "overfitting" for _, _, kind, _, _ in local)
    assert s3 == local
    assert ssh == local
    few = [alert for alert in local if alert[0] in FEW_RUNS]
    assert {alert[0] for alert in few} == set(FEW_RUNS)  # each has alerts of its own
    assert mixed == sorted(few * 3)


class PlainWatch:
    """``losswatch watch --plain --json`` in a new process; its lines arrive on a queue as they are printed."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui", "watch", "--plain", "--json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        """Lines of its stderr so far."""
        self._pumps = [
            threading.Thread(target=self._pump, args=(self.process.stdout, self.lines.put), daemon=True),
            threading.Thread(target=self._pump, args=(self.process.stderr, self.errors.append), daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    @staticmethod
    def _pump(stream, put) -> None:
        for line in stream:
            put(line)

    def next(self, deadline: float) -> str:
        return self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))

    def quiet_for(self, seconds: float, deadline: float) -> list[str]:
        """The lines that come until none has come for ``seconds``."""
        lines: list[str] = []
        while time.monotonic() < deadline:
            try:
                lines.append(self.lines.get(timeout=seconds))
            except queue.Empty:
                return lines
        raise AssertionError(f"still printing after the deadline: {lines[-5:]}")

    def stop(self) -> str:
        self.process.terminate()
        self.process.wait(timeout=30)
        for pump in self._pumps:
            pump.join(timeout=10)
        return "".join(self.errors)


def plain_events(line: str, prefixes: tuple[str, ...]) -> tuple:
    record = json.loads(line)
    reason = "" if record["kind"] == "new-run" else record["reason"]  # new-run names where the run was found
    return (unprefixed(record["run"], prefixes), record["kind"], record["step"], record["tag"], reason)


def test_watch_plain_prints_the_same_runs_and_alerts_everywhere(places: dict[str, str]) -> None:
    prefixes = ("logs", places["bucket"], "lwtest")
    runs = set(FIXTURE_RUNS)
    expected_local = None
    watches: list[PlainWatch] = []
    try:
        for roots in everywhere(places):  # all at once; each one's lines wait on its own queue
            watches.append(PlainWatch("--poll", "0.25", *roots))
        deadline = time.monotonic() + DEADLINE
        for watch, copies in zip(watches, (1, 1, 1, 3)):
            seen: list[tuple] = []
            # New runs come first, each with the alerts of its first read; wait for every run's line.
            while sum(1 for event in seen if event[1] == "new-run") < len(runs) * copies:
                seen.append(plain_events(watch.next(deadline), prefixes))
            if expected_local is None:
                # The local reference: its first round prints its alerts right after the new runs, in one go;
                # it is over once nothing more comes for a second.
                seen += [plain_events(line, prefixes) for line in watch.quiet_for(1.0, deadline)]
                expected_local = sorted(seen)
                assert {event[0] for event in seen} == runs
                assert any(event[1] == "overfitting" for event in seen)
                continue
            expected = sorted(expected_local * copies)
            while len(seen) < len(expected):
                seen.append(plain_events(watch.next(deadline), prefixes))
            assert sorted(seen) == expected
    finally:
        for watch in watches:
            watch.stop()


def places_all(places: dict[str, str]) -> list[str]:
    return [places["local"], places["s3"], places["ssh"]]


async def table_rows(app: LossWatchApp, count: int) -> dict[str, RunRow]:
    """The app's table once it shows ``count`` judged runs (the watcher reads on its own threads)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        rows = dict(app.table._rows)
        # A run shows in the table as soon as it is found, before its files are read: wait for its points.
        if len(rows) == count and all(row.last_write is not None and row.verdict != "waiting" for row in rows.values()):
            return rows
        await asyncio_sleep(0.05)
    raise AssertionError(f"the table did not fill: {sorted(app.table._rows)}")


async def asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def comparable(row: RunRow) -> tuple:
    fields = dataclasses.asdict(row)
    fields.pop("name")
    return tuple(sorted(fields.items()))


async def test_the_tui_shows_the_same_table_everywhere(places: dict[str, str]) -> None:
    runs = FIXTURE_RUNS
    tables = {}
    for key, roots in (("local", [places["local"]]), ("s3", [places["s3"]]), ("ssh", [places["ssh"]])):
        monitor = build_monitor([parse_root(root) for root in roots])
        app = LossWatchApp(monitor, bell=False, poll_seconds=0.25)
        async with app.run_test(size=(160, 50)):
            tables[key] = {name: comparable(row) for name, row in (await table_rows(app, len(runs))).items()}
        monitor.root.close()
    assert set(tables["local"]) == set(runs)
    assert tables["s3"] == tables["local"]
    assert tables["ssh"] == tables["local"]
    group = build_monitor([parse_root(root) for root in places_all(places)])
    assert isinstance(group, MonitorGroup)
    app = LossWatchApp(group, bell=False, poll_seconds=0.25)
    async with app.run_test(size=(160, 50)):
        rows = await table_rows(app, 3 * len(runs))
    group.close()
    for name, row in rows.items():
        assert comparable(row) == tables["local"][name.split(":", 1)[1]]


def overfitting_job_mirrored_to_s3(tmp_path: Path, s3: S3Server) -> tuple[DemoJobs, S3Mirror, str]:
    """A simulated training job writing real event files locally, uploaded whole to S3 as they grow."""
    local = tmp_path / "job"
    local.mkdir()
    bucket = s3.new_bucket()
    # An epoch every 1/16 s, uploaded every 0.1 s: the bell comes at epoch 27 (~1.7 s), after many uploads
    # of the growing file, read by polls every 0.25 s.
    jobs = DemoJobs(str(local), speed=8, jobs=[Job("bert-small-overfit", "overfitting", seed=2)])
    return jobs, S3Mirror(s3, local, bucket, "runs", every=0.1), f"s3://{bucket}/runs"


def test_a_live_job_writing_to_s3_rings_the_bell_in_watch_plain(tmp_path: Path, s3: S3Server) -> None:
    jobs, mirror, root = overfitting_job_mirrored_to_s3(tmp_path, s3)
    watch = subprocess.Popen(
        [sys.executable, "-m", "tui", "watch", "--plain", "--bell", "--poll", "0.25", root],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    output = b""
    try:
        with mirror:
            jobs.start()
            deadline = time.monotonic() + DEADLINE
            os.set_blocking(watch.stdout.fileno(), False)
            while b"\a" not in output and time.monotonic() < deadline:
                output += watch.stdout.read() or b""
                time.sleep(0.1)
            jobs.stop()
    finally:
        watch.terminate()
        rest, stderr = watch.communicate(timeout=30)
    output += rest or b""
    assert b"\a" in output, stderr.decode()
    assert b"bert-small-overfit  step" in output and b"overfitting" in output
    assert mirror.uploads > 10  # the object really was rewritten again and again (15-19 times on an idle machine)


async def test_a_live_job_writing_to_s3_rings_the_bell_in_the_tui(tmp_path: Path, s3: S3Server) -> None:
    jobs, mirror, root = overfitting_job_mirrored_to_s3(tmp_path, s3)
    monitor = build_monitor([parse_root(root)])
    app = LossWatchApp(monitor, bell=True, poll_seconds=0.25)
    with mirror:
        async with app.run_test(size=(160, 50)):
            jobs.start()
            deadline = time.monotonic() + DEADLINE
            while app.bells == 0 and time.monotonic() < deadline:
                await asyncio_sleep(0.05)
            jobs.stop()
            assert app.bells >= 1
            assert app.monitor.verdict("bert-small-overfit").kind == "overfitting"
    monitor.root.close()


def test_an_unreachable_host_is_one_line_and_the_other_roots_go_on(places: dict[str, str], tmp_path: Path) -> None:
    done = cli("check", places["local"], "lwdead:/runs")
    assert done.returncode == 1  # the local runs were judged
    assert "Traceback" not in done.stderr
    assert "losswatch: lwdead:/runs: connect to host 127.0.0.1 port" in done.stderr
    assert "Connection refused" in done.stderr
    assert "logs:torch/overfit-7" in done.stdout
    alone = cli("check", "lwdead:/runs")
    assert alone.returncode == 2 and "Traceback" not in alone.stderr
    assert "Connection refused" in alone.stderr
    assert len(alone.stderr.splitlines()) == 1  # not a second line saying it holds no training logs


def test_check_of_healthy_runs_beside_an_unreachable_root_is_no_all_fine(
    places: dict[str, str], tmp_path: Path
) -> None:
    """Exit 0 said "all fine" of a root it could not look into (a missing local root is exit 2)."""
    scalar_run(
        tmp_path / "fine", {"loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4], "val_loss": [1.1, 0.9, 0.7, 0.6, 0.55, 0.5]}
    )
    assert cli("check", str(tmp_path)).returncode == 0
    done = cli("check", str(tmp_path), "lwdead:/runs")
    assert done.returncode == 1 and "Connection refused" in done.stderr and "fine" in done.stdout


def test_watch_plain_on_an_unreachable_root_does_not_say_it_holds_no_runs_yet(places: dict[str, str]):
    """It could not look: 'no runs yet in lwdead:/runs; waiting for training logs' was not true."""
    import signal

    from children import spawn

    with spawn("watch", "lwdead:/runs", "--plain") as child:
        child.wait_for(lambda c: "Connection refused" in c.errors(), 30, "the unreachable line")
        time.sleep(1.0)
        assert child.stop(signal.SIGTERM) == 0
        assert "no runs yet" not in child.errors() and "Traceback" not in child.errors()


async def test_the_tui_status_line_names_an_unreachable_root_while_others_update(places: dict[str, str]) -> None:
    runs = FIXTURE_RUNS
    group = build_monitor([parse_root(places["local"]), parse_root("lwdead:/runs")])
    app = LossWatchApp(group, bell=False, poll_seconds=1)
    async with app.run_test(size=(200, 50)):
        rows = await table_rows(app, len(runs))
        assert set(rows) == {f"logs:{run}" for run in runs}
        deadline = time.monotonic() + DEADLINE
        while "unreachable" not in str(app.status.render()) and time.monotonic() < deadline:
            await asyncio_sleep(0.05)
        status = str(app.status.render())
        assert "lwdead:/runs: polling every 1 s, unreachable: connect to host 127.0.0.1" in status
        assert "Connection refused" in status
    group.close()


def test_export_gives_the_same_points_everywhere(places: dict[str, str], tmp_path: Path) -> None:
    outputs = [tmp_path / f"export-{i}.csv" for i in range(4)]
    exports = clis(*(["export", *roots, "-o", str(out)] for roots, out in zip(everywhere(places), outputs)))
    for done in exports:
        assert done.returncode == 0, done.stderr
    local, s3, ssh, mixed = (out.read_text().splitlines() for out in outputs)
    assert len(local) > 1000
    assert s3 == local
    assert ssh == local
    header, body = mixed[0], mixed[1:]
    assert header == local[0]
    prefixes = ("logs", places["bucket"], "lwtest")
    assert sorted(unprefixed(row.split(",", 1)[0], prefixes) + "," + row.split(",", 1)[1] for row in body) == sorted(
        local[1:] * 3
    )


async def test_a_hung_host_does_not_hold_up_the_others_nor_the_ui(
    places: dict[str, str], sshd: Sshd, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lwslow accepts the connection and never answers: its watcher waits, the local root and the keys do not.

    ssh gives up after its ConnectTimeout: 3 s here instead of 10 (set as a user would, in
    LOSSWATCH_SSH_COMMAND, whose options come first and so win), still well after the local runs show."""
    monkeypatch.setenv("LOSSWATCH_SSH_COMMAND", f"{sshd.ssh_command} -o ConnectTimeout=3")
    runs = FIXTURE_RUNS
    group = build_monitor([parse_root(places["local"]), parse_root("lwslow:/runs")])
    assert isinstance(group, MonitorGroup)
    slow = group.monitors[1].root
    app = LossWatchApp(group, bell=False, poll_seconds=1)
    async with app.run_test(size=(200, 50)) as pilot:
        rows = await table_rows(app, len(runs))
        assert set(rows) == {f"logs:{run}" for run in runs}
        assert slow.reachability.state == "connecting"  # still waiting for the hung host's first word
        await pilot.press("s")  # the app answers keys meanwhile
        await pilot.press("down")
        assert app.table.selected is not None
        deadline = time.monotonic() + DEADLINE
        while slow.reachability.state == "connecting" and time.monotonic() < deadline:
            await asyncio_sleep(0.05)
        assert slow.reachability.state == "unreachable"
        assert "timed out" in slow.reachability.reason
    group.close()


def test_watch_plain_says_when_a_host_drops_and_comes_back(places: dict[str, str], sshd: Sshd) -> None:
    watch = PlainWatch("--poll", "0.5", places["ssh"])

    def stderr_until(text: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not any(text in line for line in watch.errors) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(text in line for line in watch.errors), watch.errors

    try:
        watch.next(time.monotonic() + DEADLINE)  # the first new-run line: connected and read
        sshd.stop()
        try:
            stderr_until(f"losswatch: {places['ssh']}: reconnecting")
        finally:
            assert sshd.start() is None
        stderr_until(f"losswatch: {places['ssh']}: connected")
    finally:
        errors = watch.stop()
    assert "Traceback" not in errors
