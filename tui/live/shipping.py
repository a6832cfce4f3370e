"""Hand a worker's result to the parent process without copying its arrays through a pipe.

A run read at start-up is a few million points: pickled through the pool's pipe
it is copied four times (into the pickle, through the pipe, out of it, into new
arrays), and each copy faults in fresh memory; on a virtual machine that cost
the app about as much CPU as reading the run. Instead the worker pickles with
protocol 5, which hands the arrays' memory out of band, writes those buffers
once into an anonymous memory file (``memfd_create``) and passes the file's
descriptor to the parent over a Unix socket made before the workers were
forked; the pool's pipe carries only the small pickle. The parent maps the file
read-only (``_scan.map_readonly``: the mapping keeps no descriptor open, so a
thousand runs do not use up the process's descriptors) and unpickles arrays
that point straight into the mapping; the memory is freed with the last array
using it.

Not ``/dev/shm``: a container's is often 64 MB, which PyTorch's DataLoader
workers need, and a monitor must not take it from the job it watches. A memory
file has no name, so nothing is ever left behind, and a descriptor still in the
socket when the batch ends is released with it.

Small results, and wherever memory files, descriptor passing or the compiled
module are missing or fail, travel the ordinary way: in the pickle itself.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from tui.sources.tensorboard.kernels import COMPILED as _scan  # None without a C compiler: results go in the pickle

MIN_OUT_OF_BAND = 1 << 20
"""Below this many bytes of arrays a result goes in the pickle (a memory file per tiny result costs more)."""
RECEIVE_SECONDS = 30.0
"""How long the parent waits for a descriptor the worker said it sent (it is sent before the result)."""
SEND_SECONDS = 5.0
"""How long a worker waits for room in the socket (the parent takes descriptors as it takes results; if it
stopped, the worker sends through the pipe instead of hanging)."""
_ALIGN = 64
_SERIALS = itertools.count()


@dataclass(frozen=True)
class Parcel:
    """What crosses the pool's pipe: a pickle, and if its arrays are not in it, their memory file's token."""

    payload: bytes
    token: str | None = None
    sizes: tuple[int, ...] = ()


class Channel:
    """A Unix datagram socket pair that carries memory-file descriptors from forked workers to the parent."""

    def __init__(self) -> None:
        self._receiving, self._sending = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._receiving.settimeout(RECEIVE_SECONDS)
        self._arrived: dict[str, int] = {}

    @property
    def sending_fd(self) -> int:
        """The descriptor a forked worker inherits and sends on."""
        return self._sending.fileno()

    def receive(self, token: str) -> int:
        """The descriptor sent with ``token`` (others arriving first are kept for their own turn)."""
        while token not in self._arrived:
            message, fds, _flags, _address = socket.recv_fds(self._receiving, 256, 1)
            if fds:
                self._arrived[message.decode()] = fds[0]
        return self._arrived.pop(token)

    def close(self) -> None:
        for fd in self._arrived.values():
            os.close(fd)
        self._arrived.clear()
        self._receiving.close()  # descriptors never received are released with the socket
        self._sending.close()


@contextlib.contextmanager
def channel() -> Iterator[Channel | None]:
    """A Channel for one batch of parcels, or None where memory files or descriptor passing are missing."""
    if not hasattr(os, "memfd_create") or not hasattr(socket, "send_fds") or not hasattr(_scan, "map_readonly"):
        yield None
        return
    try:
        opened = Channel()
    except OSError:
        yield None
        return
    try:
        yield opened
    finally:
        opened.close()


def pack(result: object, sending_fd: int | None) -> Parcel:
    """In the worker: the result as a Parcel, its big arrays in a memory file sent on ``sending_fd`` (if any)."""
    if sending_fd is None:
        return Parcel(pickle.dumps(result, protocol=5))
    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    views = [buffer.raw() for buffer in buffers]
    if sum(view.nbytes for view in views) < MIN_OUT_OF_BAND:
        return Parcel(pickle.dumps(result, protocol=5))
    token = f"{os.getpid()}-{next(_SERIALS)}"  # unique among the parcels in flight
    try:
        fd = os.memfd_create("losswatch-parcel", os.MFD_CLOEXEC)
    except OSError:
        return Parcel(pickle.dumps(result, protocol=5))
    try:
        with open(fd, "wb", closefd=False) as handle:
            for view in views:
                handle.write(view)
                handle.write(bytes(-view.nbytes % _ALIGN))  # each array starts aligned
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM, fileno=os.dup(sending_fd)) as sender:
            sender.settimeout(SEND_SECONDS)
            socket.send_fds(sender, [token.encode()], [fd])
    except OSError:  # out of memory for the file, the socket full or gone: use the pipe
        return Parcel(pickle.dumps(result, protocol=5))
    finally:
        os.close(fd)  # the parent holds its own copy of the descriptor once it is sent
    return Parcel(payload, token, tuple(view.nbytes for view in views))


def unpack(parcel: Parcel, from_channel: Channel | None) -> object:
    """In the parent: the worker's result, its arrays mapped read-only from the parcel's memory file."""
    if parcel.token is None:
        return pickle.loads(parcel.payload)
    if from_channel is None or _scan is None:
        raise OSError("a parcel's arrays were sent, but there is no channel to receive them")
    fd = from_channel.receive(parcel.token)
    try:
        whole = memoryview(_scan.map_readonly(fd, os.fstat(fd).st_size))
    finally:
        os.close(fd)  # the mapping holds no descriptor (unlike mmap.mmap before Python 3.13)
    buffers = []
    offset = 0
    for size in parcel.sizes:
        buffers.append(whole[offset : offset + size])
        offset += size + (-size % _ALIGN)
    return pickle.loads(parcel.payload, buffers=buffers)
