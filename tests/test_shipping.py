"""A worker's result reaches the parent whole, its arrays through a memory file, and nothing is left behind."""

from __future__ import annotations

import gc
import os
import pickle
import socket

import numpy as np
import pytest

from tui.live import shipping
from tui.live.shipping import channel, pack, unpack
from tui.store.series import Series


def _curve(n: int) -> Series:
    series = Series()
    steps = np.arange(n)
    series.extend(steps, steps * 0.5, np.sin(steps / 7.0))
    return series


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


needs_memfd = pytest.mark.skipif(
    not hasattr(os, "memfd_create") or not hasattr(socket, "send_fds"),
    reason="no memory files or descriptor passing here",
)


@needs_memfd
def test_big_arrays_travel_in_a_memory_file_and_no_descriptor_is_left():
    before = _open_fds()
    result = {"loss": _curve(200_000), "note": "run \x1b[31m", "small": np.arange(3, dtype=np.int32)}
    with channel() as handoff:
        parcel = pack(result, handoff.sending_fd)
        assert parcel.token is not None
        assert len(parcel.payload) < 10_000  # the points are not in the pickle
        got = unpack(parcel, handoff)
    assert _open_fds() == before
    for mine, theirs in zip(got["loss"].arrays(), result["loss"].arrays()):
        assert mine.tobytes() == theirs.tobytes()
        assert not mine.flags.writeable  # mapped read-only: nothing can scribble on a shared curve
    assert got["note"] == result["note"] and got["small"].tolist() == [0, 1, 2]


def _parcel_mappings() -> int:
    with open("/proc/self/maps") as maps:
        return sum("losswatch-parcel" in line for line in maps)


@needs_memfd
def test_the_memory_is_unmapped_when_the_last_array_in_it_is_freed():
    # Counted from what this worker process already maps: another test's parcel that its objects (not yet
    # collected) still view is not this parcel's business (it made this test fail once in a few runs).
    gc.collect()
    before = _parcel_mappings()
    with channel() as handoff:
        got = unpack(pack({"c": _curve(200_000)}, handoff.sending_fd), handoff)
    values = got["c"].arrays()[1]
    del got
    assert _parcel_mappings() == before + 1  # one array still views it
    assert values[-1] == np.sin(199_999 / 7.0)
    del values
    assert _parcel_mappings() == before


@needs_memfd
def test_parcels_are_matched_to_their_results_whatever_order_they_are_opened_in():
    with channel() as handoff:
        parcels = [pack({"c": _curve(100_000 + i)}, handoff.sending_fd) for i in range(3)]
        lengths = [len(unpack(parcel, handoff)["c"]) for parcel in reversed(parcels)]
    assert lengths == [100_002, 100_001, 100_000]


@needs_memfd
def test_a_curve_from_a_memory_file_keeps_growing():
    with channel() as handoff:
        series = unpack(pack({"c": _curve(300_000)}, handoff.sending_fd), handoff)["c"]
    series.append(300_000, 1.0, 42.0)
    steps, values, _walls = series.arrays()
    assert len(steps) == 300_001 and values[-1] == 42.0 and steps[-2] == 299_999
    assert series.truncate_from_step(10) == 299_991 and len(series) == 10


@needs_memfd
def test_parcels_never_opened_are_released_with_the_channel():
    before = _open_fds()
    with channel() as handoff:
        pack({"c": _curve(200_000)}, handoff.sending_fd)
        pack({"c": _curve(200_000)}, handoff.sending_fd)
    assert _open_fds() == before


def test_small_results_and_no_channel_go_in_the_pickle():
    big = {"c": _curve(200_000)}
    parcel = pack(big, None)
    assert parcel.token is None
    assert unpack(parcel, None)["c"].arrays()[1].tobytes() == big["c"].arrays()[1].tobytes()
    with channel() as handoff:
        assert pack({"c": _curve(10)}, handoff.sending_fd if handoff else None).token is None


@needs_memfd
def test_when_the_memory_file_cannot_be_made_or_filled_the_arrays_go_in_the_pickle(monkeypatch):
    """Out of memory (a container's limit) or no memfd: the parcel travels the ordinary way, no descriptor leaks."""
    big = {"c": _curve(200_000)}
    before = _open_fds()

    def no_memory(*args):
        raise OSError(12, "Cannot allocate memory")

    for target in ("memfd_create", "dup"):
        with channel() as handoff, monkeypatch.context() as patch:
            patch.setattr(shipping.os, target, no_memory)
            parcel = pack(big, handoff.sending_fd)
        assert parcel.token is None
        assert unpack(parcel, None)["c"].arrays()[2].tobytes() == big["c"].arrays()[2].tobytes()
    assert _open_fds() == before


def test_without_memory_files_there_is_no_channel(monkeypatch):
    monkeypatch.delattr(os, "memfd_create", raising=False)
    with channel() as handoff:
        assert handoff is None


def test_a_pickled_series_adopts_its_arrays():
    series = pickle.loads(pickle.dumps(_curve(1000)))
    assert series.nbytes == 1000 * 24  # no spare tail capacity: the arrays were taken as they came


@needs_memfd
def test_a_parent_that_stops_taking_parcels_does_not_hang_the_worker(monkeypatch):
    """The socket holds a few descriptors; once it is full the worker waits SEND_SECONDS, then uses the pipe."""
    monkeypatch.setattr(shipping, "MIN_OUT_OF_BAND", 0)
    monkeypatch.setattr(shipping, "SEND_SECONDS", 0.2)
    before = _open_fds()
    small = {"c": _curve(100)}
    with channel() as handoff:
        parcels = [pack(small, handoff.sending_fd)]
        while parcels[-1].token is not None and len(parcels) < 1000:  # nobody takes them: the socket fills
            parcels.append(pack(small, handoff.sending_fd))
        assert parcels[0].token is not None and parcels[-1].token is None  # by descriptor, then by pipe
        assert unpack(parcels[-1], handoff)["c"].arrays()[1].tobytes() == small["c"].arrays()[1].tobytes()
        assert len(unpack(parcels[0], handoff)["c"]) == 100  # those sent are still there to take
    assert _open_fds() == before
