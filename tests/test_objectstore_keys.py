"""Object keys that are no paths (``exp/../g/…``, ``exp//b/…``): read as the objects they are, never taken for
a run named ``../g`` or ``/b`` (names reach the table, exports and ``LOSSWATCH_RUN``)."""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import ReadTimeoutError
from conftest import scalar_run
from servers import S3Server

from tui.live.monitor import Monitor
from tui.sources.roots.objectstore import ObjectStoreRoot, _reason

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


def test_a_key_written_as_the_escape_keeps_its_name_and_a_deleted_odd_key_is_forgotten(s3: S3Server, tmp_path: Path):
    bucket = s3.new_bucket()
    event_file = scalar_run(tmp_path / "one", {"loss": [3.0, 2.0, 1.0]})
    literal, odd = f"exp/%2E%2E/g/{event_file.name}", f"exp/../g/{event_file.name}"
    s3.client.put_object(Bucket=bucket, Key=literal, Body=b"literal")
    s3.client.put_object(Bucket=bucket, Key=odd, Body=event_file.read_bytes())
    root = ObjectStoreRoot(f"s3://{bucket}/exp")
    path = f"%2E%2E/g/{event_file.name}"
    assert set(root.list().files) == {path}
    assert root.read(path, 0, 100) == b"literal"  # the object of that very name
    s3.client.delete_object(Bucket=bucket, Key=literal)
    assert root.list().files[path].size == event_file.stat().st_size  # now the odd key, read as its own
    assert root.read(path, 0, 4) == event_file.read_bytes()[:4]
    s3.client.delete_object(Bucket=bucket, Key=odd)
    s3.client.put_object(Bucket=bucket, Key=literal, Body=b"again")
    root.list()
    assert root.read(path, 0, 100) == b"again"  # no stale map sends it to the deleted key
