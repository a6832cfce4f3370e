"""Hand a worker's result to the parent process without copying its arrays through a pipe.

A run read at start-up is a few million points: pickled through the pool's pipe
it is copied four times (into the pickle, through the pipe, out of it, into new
arrays), and each copy faults in fresh memory; on a virtual machine that cost
the app about as much CPU as reading the run. Instead the worker pickles with
protocol 5, which hands the arrays' memory out of band, writes those buffers
once into a file in shared memory (``/dev/shm``), and sends only the small
pickle and the file's name. The parent maps the file, deletes its name at once
(the mapping keeps the memory until the last array using it is freed), and
unpickles arrays that point straight into the mapping, read-only.

Small results, or any failure to write the file (no ``/dev/shm``, disk full),
travel the ordinary way, in the pickle itself.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

SHARED_MEMORY = "/dev/shm"
MIN_OUT_OF_BAND = 1 << 20
"""Below this many bytes of arrays a result goes in the pickle (a file per tiny result costs more)."""
_ALIGN = 64


@dataclass(frozen=True)
class Parcel:
    """What actually crosses the pipe: a pickle, and where its arrays are if they are not in it."""

    payload: bytes
    path: str | None = None
    sizes: tuple[int, ...] = ()


@contextlib.contextmanager
def parcel_directory() -> Iterator[str | None]:
    """A private directory for one batch of parcels (in shared memory where there is one), removed after."""
    base = SHARED_MEMORY if os.access(SHARED_MEMORY, os.W_OK) else None
    try:
        directory = tempfile.mkdtemp(prefix="losswatch-", dir=base)
    except OSError:
        directory = None
    try:
        yield directory
    finally:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)  # parcels never opened (a failed batch)


def pack(result: object, directory: str | None) -> Parcel:
    """In the worker: the result as a Parcel, its big arrays written to a file in ``directory`` (if any)."""
    if directory is None:
        return Parcel(pickle.dumps(result, protocol=5))
    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    views = [buffer.raw() for buffer in buffers]
    if sum(view.nbytes for view in views) < MIN_OUT_OF_BAND:
        return Parcel(pickle.dumps(result, protocol=5))
    path = None
    try:
        fd, path = tempfile.mkstemp(dir=directory, suffix=".parcel")
        with os.fdopen(fd, "wb") as handle:
            for view in views:
                handle.write(view)
                handle.write(bytes(-view.nbytes % _ALIGN))  # each array starts aligned
    except OSError:  # e.g. a container's small /dev/shm is full: free what was written, use the pipe
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return Parcel(pickle.dumps(result, protocol=5))
    return Parcel(payload, path, tuple(view.nbytes for view in views))


def unpack(parcel: Parcel) -> object:
    """In the parent: the worker's result, its arrays mapped from the parcel's file (which is deleted)."""
    if parcel.path is None:
        return pickle.loads(parcel.payload)
    try:
        with open(parcel.path, "rb") as handle:
            length = os.fstat(handle.fileno()).st_size
            flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0)  # one fault-in, not one per page
            mapped = mmap.mmap(handle.fileno(), length, flags=flags, prot=mmap.PROT_READ) if length else b""
    finally:
        os.unlink(parcel.path)
    whole = memoryview(mapped)
    buffers = []
    offset = 0
    for size in parcel.sizes:
        buffers.append(whole[offset : offset + size])
        offset += size + (-size % _ALIGN)
    return pickle.loads(parcel.payload, buffers=buffers)
