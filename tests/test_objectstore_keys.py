"""Object keys that are no paths (``exp/../g/…``, ``exp//b/…``): read as the objects they are, never taken for
a run named ``../g`` or ``/b`` (names reach the table, exports and ``LOSSWATCH_RUN``)."""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import ReadTimeoutError
from conftest import scalar_run
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import S3Server

from tui.live.monitor import Monitor
from tui.sources.roots.objectstore import ObjectStoreRoot, _as_path, _reason

ODD_KEYS = {"../g": "%2E%2E/g", "./f": "%2E/f", "/b": "%2F/b", "c/": "c/%2F"}
"""Folder part of a key under the prefix -> the run it is read as."""


def test_keys_with_dot_dot_dot_or_empty_parts_are_runs_with_those_parts_escaped(s3: S3Server, tmp_path: Path):
    bucket = s3.new_bucket()
    event_file = scalar_run(tmp_path / "one", {"loss": [3.0, 2.0, 1.0]})
    for folder in ODD_KEYS:
        s3.client.put_object(Bucket=bucket, Key=f"exp/{folder}/{event_file.name}", Body=event_file.read_bytes())
    root = ObjectStoreRoot(f"s3://{bucket}/exp")
    monitor = Monitor(root)
    monitor.refresh()
    assert set(monitor.store.runs) == set(ODD_KEYS.values())
    for name in ODD_KEYS.values():
        assert monitor.store.runs[name].scalars["loss"].values.tolist() == [3.0, 2.0, 1.0]
    assert not any(".." in path.split("/") or path.startswith("/") for path in root.list().files)


def test_a_read_timeout_is_said_without_the_requests_query_string():
    error = ReadTimeoutError(endpoint_url="http://127.0.0.1:9/team?list-type=2&prefix=runs%2F&encoding-type=url")
    assert _reason(error, "s3") == 'Read timeout on endpoint URL: "http://127.0.0.1:9/team"'


def test_a_key_written_as_the_escape_is_a_run_of_its_own_and_loses_nothing(s3: S3Server, tmp_path: Path):
    """A folder really named ``%2E%2E`` beside the key part ``..`` (and ``%2F`` beside an empty part) was the same
    run: the one object was dropped when both had one file name, the two files read as one run's restart when not,
    and a run's points were lost without a word."""
    bucket = s3.new_bucket()
    first = scalar_run(tmp_path / "first", {"loss": [5.0, 4.0, 3.0, 2.0, 1.0]})
    second = scalar_run(tmp_path / "second", {"loss": [300.0, 200.0, 100.0]})
    for literal, odd in (("%2E%2E/g", "../g"), ("%2F/b", "/b")):
        s3.client.put_object(Bucket=bucket, Key=f"exp/{literal}/{first.name}", Body=first.read_bytes())
        s3.client.put_object(Bucket=bucket, Key=f"exp/{odd}/{first.name}", Body=second.read_bytes())
    root = ObjectStoreRoot(f"s3://{bucket}/exp")
    monitor = Monitor(root)
    monitor.refresh()
    curves = {name: run.scalars["loss"].values.tolist() for name, run in monitor.store.runs.items()}
    assert curves == {
        "%252E%252E/g": [5.0, 4.0, 3.0, 2.0, 1.0],  # the folder named so, its % escaped
        "%2E%2E/g": [300.0, 200.0, 100.0],  # the key part ..
        "%252F/b": [5.0, 4.0, 3.0, 2.0, 1.0],
        "%2F/b": [300.0, 200.0, 100.0],
    }
    s3.client.delete_object(Bucket=bucket, Key=f"exp/../g/{first.name}")
    monitor.refresh()
    assert monitor.store.runs["%2E%2E/g"].gone and not monitor.store.runs["%252E%252E/g"].gone


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="%2EF5./a", max_size=12), min_size=2, max_size=6, unique=True))
def test_no_two_keys_are_one_path_and_no_path_leaves_the_prefix(keys: list[str]):
    paths = [_as_path(key) for key in keys]
    assert len(set(paths)) == len(keys)
    for path in paths:
        assert not {"", ".", ".."} & set(path.split("/"))
