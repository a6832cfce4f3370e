"""Runs in object storage (``s3://``, ``gs://``, ``az://``) through fsspec.

s3fs, gcsfs and adlfs are the libraries made for this (TensorBoard's own readers, pandas and
Dask use them); each is an optional extra (``pip install s3fs``, losswatch's ``[s3]``). Credentials and
endpoints come from where their SDKs look, so ``AWS_ENDPOINT_URL`` (MinIO, Ceph), ``AWS_PROFILE``,
``~/.aws``, ``GOOGLE_APPLICATION_CREDENTIALS`` and ``AZURE_STORAGE_*`` work as they do elsewhere.

One poll is one listing (a LIST request per 1,000 objects) plus one ranged GET per object that
grew; fsspec's listing cache is dropped before each listing, so a listing is never stale.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
from typing import Any, ClassVar

from tui.sources.roots.remote import Entry, RemoteRoot, Unreachable

SCHEMES = {"s3": "s3", "s3a": "s3", "gs": "gs", "gcs": "gs", "az": "az", "abfs": "az", "abfss": "az"}
"""URL scheme -> the kind of root (what the table calls it)."""
_FSSPEC_PROTOCOL = {"s3": "s3", "gs": "gcs", "az": "abfs"}
_S3_OPERATIONS = {"ListObjectsV2": "list", "GetObject": "get", "HeadObject": "head"}
EXTRA = {"s3": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "az": ("adlfs", "azure")}
"""Kind -> (the fsspec backend it needs, the losswatch extra that brings it)."""


class MissingBackend(Exception):
    """The backend library for a scheme is not installed: one sentence that says what to install."""


def require_backend(kind: str) -> None:
    """Raise MissingBackend unless the library for ``kind`` imports."""
    module, extra = EXTRA[kind]
    try:
        __import__(module)
    except ImportError as error:
        raise MissingBackend(
            f"{kind}:// needs {module}, which is not installed: pip install {module} (losswatch's [{extra}] extra)"
        ) from error


class ObjectStoreRoot(RemoteRoot):
    """A bucket or a prefix in one, read by listing and by ranged GETs of only the new bytes."""

    def __init__(self, url: str, label: str | None = None, storage_options: dict[str, Any] | None = None) -> None:
        super().__init__(label or url)
        scheme, _, rest = url.partition("://")
        self.kind = SCHEMES[scheme.lower()]
        self.base = rest.strip("/")
        """``bucket/prefix`` (no scheme, no slashes at either end)."""
        self.bucket = self.base.split("/", 1)[0]
        self._options = dict(storage_options or {})
        self._fs: Any = None
        self._keys: dict[str, str] = {}
        """Path -> the object's key under the prefix, for keys that are no path (``_as_path``)."""

    _LOCAL_STATE: ClassVar[tuple[str, ...]] = (*RemoteRoot._LOCAL_STATE, "_fs")

    # ---- the fsspec file system --------------------------------------------------------------

    def _filesystem(self) -> Any:
        if getattr(self, "_fs", None) is None:
            require_backend(self.kind)
            import fsspec

            options = dict(self._options)
            if self.kind == "s3":
                options.setdefault("config_kwargs", _s3_config())
            # Our own instance: its listing cache and request counter are this root's alone.
            self._fs = fsspec.filesystem(_FSSPEC_PROTOCOL[self.kind], skip_instance_cache=True, **options)
            if self.kind == "s3":
                # s3fs tries each call again up to five times on top of botocore's attempts: an endpoint that
                # accepts and never answers held a command for minutes (5 x 2 x 30 s); botocore's retries suffice.
                self._fs.retries = S3FS_TRIES
                self._count_s3_requests()
        return self._fs

    def _count_s3_requests(self) -> None:
        """Count every HTTP request botocore sends (retries included), by operation: what S3 bills."""
        try:
            self._fs.connect()
            events = self._fs.s3.meta.events
        except Exception:  # counting is a nicety; credentials problems show on the first call
            return

        def count(event_name: str = "", **_: Any) -> None:
            operation = event_name.rsplit(".", 1)[-1]
            self.requests[_S3_OPERATIONS.get(operation, operation)] += 1

        events.register("before-send.s3", count)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call the file system; any failure becomes an OSError with a one-line reason."""
        try:
            return getattr(self._filesystem(), method)(*args, **kwargs)
        except FileNotFoundError:
            raise
        except PermissionError as error:
            raise PermissionError(error.errno, _denied(self.kind)) from error
        except MissingBackend as error:
            raise OSError(str(error)) from error
        except Exception as error:  # backends raise their SDK's own errors; say them in one line
            reason = _reason(error, self.kind)
            if _not_answering(error):  # the store's, not a file's: a read during an outage says so, as a listing does
                self._lost(reason)
                raise Unreachable(errno.EHOSTUNREACH, reason) from error
            raise OSError(reason) from error

    # ---- RemoteRoot --------------------------------------------------------------------------

    def _list_entries(self) -> tuple[dict[str, Entry], dict[str, str], dict[str, str]]:
        self._filesystem().invalidate_cache(self.base)
        if self.kind != "s3":
            self.requests["list"] += 1  # at least one; S3's are counted exactly
        try:
            found = self._call("find", self.base, detail=True, withdirs=False)
        except FileNotFoundError as error:
            raise FileNotFoundError(error.errno, f"bucket {self.bucket} not found") from error
        entries: dict[str, Entry] = {}
        keys: dict[str, str] = {}
        prefix = self.base + "/"
        for name, detail in found.items():
            if name.endswith("/") or detail.get("type") == "directory" or not name.startswith(prefix):
                continue  # folder markers, and the prefix itself when it is an object
            key = name[len(prefix) :]
            path = _as_path(key)  # no two keys alike
            if path != key:
                keys[path] = key
            entries[path] = _entry(detail)
        self._keys = keys
        if not entries and self.base in found:  # the root names an object, not a prefix (a log file itself)
            raise NotADirectoryError(errno.ENOTDIR, "not a folder: an object (give the prefix that holds the runs)")
        return entries, {}, {}

    def _object(self, path: str) -> str:
        """The full key (``bucket/prefix/key``) of the object listed at ``path``."""
        return f"{self.base}/{self._keys.get(path, path)}"

    def _stat_entry(self, path: str) -> Entry:
        full = self._object(path)
        fs = self._filesystem()
        fs.invalidate_cache(full)
        if self.kind != "s3":
            self.requests["head"] += 1
        detail = self._call("info", full)
        if detail.get("type") == "directory":
            raise IsADirectoryError(f"{path}: not a file")
        return _entry(detail)

    def _fetch(self, path: str, start: int, end: int) -> bytes:
        if self.kind != "s3":
            self.requests["get"] += 1
        try:
            data = self._call("cat_file", self._object(path), start=start, end=end)
        except OSError as error:
            if _past_end(error):
                return b""
            raise
        self.bytes_fetched += len(data)
        return data

    def _fetch_many(self, ranges: list[tuple[str, int, int]]) -> list[bytes | OSError]:
        """All ranges at once: fsspec sends them concurrently (one GET each)."""
        if self.kind != "s3":
            self.requests["get"] += len(ranges)
        paths = [self._object(path) for path, _, _ in ranges]
        try:
            found = self._call(
                "cat_ranges", paths, [s for _, s, _ in ranges], [e for _, _, e in ranges], on_error="return"
            )
        except OSError as error:
            return [error] * len(ranges)
        results: list[bytes | OSError] = []
        for item in found:
            if isinstance(item, bytes):
                self.bytes_fetched += len(item)
                results.append(item)
            elif _past_end(item):
                results.append(b"")
            else:
                results.append(item if isinstance(item, OSError) else OSError(_reason(item, self.kind)))
        return results

    def close(self) -> None:
        super().close()
        if getattr(self, "_fs", None) is not None:
            self._fs.invalidate_cache()


S3FS_TRIES = 1
"""s3fs's own tries per call (botocore's ``retries`` try again, with backoff for throttling); a body cut off part
way is not fetched again within the round: the root is unreachable until the next one."""


_ESCAPED_PARTS = {"": "%2F", ".": "%2E", "..": "%2E%2E"}
"""Parts of an object key that name no folder, as a path shows them: an empty part (``a//b``) as the slash it
repeats, ``.`` and ``..`` percent-escaped."""
_LOOKALIKE = re.compile(r"%(?=2E|2F|25)")
"""A ``%`` a part holds that would read as one of those escapes (or as an escaped ``%``): it is escaped too
(``%25``), so a folder really named ``%2F`` is not the empty part's run."""


def _as_path(key: str) -> str:
    """An object's key under the prefix as a relative path, one of its own for every key. Keys are not paths:
    ``exp/../g/x`` is an object of its own, and taken as a path it named a run ``../g`` (in the table, the export
    and ``LOSSWATCH_RUN``); ``exp/%2E%2E/g/x`` beside it was read as the same run, and one run's points were lost."""
    parts = key.split("/")
    if not any(part in _ESCAPED_PARTS or "%" in part for part in parts):
        return key
    return "/".join(_ESCAPED_PARTS.get(part) or _LOOKALIKE.sub("%25", part) for part in parts)


def _s3_config() -> dict[str, Any]:
    """Give up on a dead or silent endpoint in seconds, not minutes (two attempts of at most 5 s to connect and
    10 s to answer); the user's own retry settings win."""
    config: dict[str, Any] = {"connect_timeout": 5, "read_timeout": 10}
    if not os.environ.get("AWS_MAX_ATTEMPTS") and not os.environ.get("AWS_RETRY_MODE"):
        config["retries"] = {"max_attempts": 2, "mode": "standard"}
    return config


def _entry(detail: dict[str, Any]) -> Entry:
    """What fsspec's s3fs, gcsfs or adlfs says of one object, in one shape."""
    size = int(detail.get("size") or 0)
    tag = next((detail[k] for k in ("ETag", "etag", "md5Hash", "generation", "content_md5") if detail.get(k)), "")
    mtime = _seconds(
        next((detail[k] for k in ("LastModified", "last_modified", "updated", "mtime") if detail.get(k)), 0)
    )
    return Entry(size=size, mtime=mtime, version=f"{tag}:{size}:{mtime}")


def _seconds(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _past_end(error: BaseException) -> bool:
    """A range starting at or past the end of the object (HTTP 416): nothing new, not a failure."""
    text = str(error).lower()
    return (
        "invalidrange" in text or "416" in text or "range not satisfiable" in text or "range is not satisfiable" in text
    )


def _denied(kind: str) -> str:
    where = {
        "s3": "AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws",
        "gs": "GOOGLE_APPLICATION_CREDENTIALS or gcloud auth application-default login",
        "az": "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT_NAME/KEY or az login",
    }[kind]
    return f"access denied (credentials come from {where})"


def _not_answering(error: BaseException) -> bool:
    """An SDK's error for a store that did not answer (no connection, no reply in time)."""
    name = type(error).__name__
    return any(part in name for part in ("EndpointConnection", "ConnectTimeout", "ConnectionError", "ReadTimeout"))


def _reason(error: BaseException, kind: str) -> str:
    """One line a user can act on, from whatever a backend raised."""
    name = type(error).__name__
    text = " ".join(str(error).split()) or name
    if "NoCredentials" in name or ("credentials" in text.lower() and "not" in text.lower()):
        return _denied(kind).replace("access denied", "no credentials found")
    if _not_answering(error):
        return re.sub(r"\?[^\s\"]*", "", text)  # the URL without its query string
    return text if len(text) <= 200 else text[:197] + "..."
