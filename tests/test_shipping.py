"""A worker's result reaches the parent whole, its arrays through shared memory, and nothing is left behind."""

from __future__ import annotations

import os
import pickle

import numpy as np

from tui import shipping
from tui.series import Series
from tui.shipping import pack, parcel_directory, unpack


def _curve(n: int) -> Series:
    series = Series()
    steps = np.arange(n)
    series.extend(steps, steps * 0.5, np.sin(steps / 7.0))
    return series


def test_big_arrays_travel_through_a_file_that_is_gone_once_unpacked():
    result = {"loss": _curve(200_000), "note": "run \x1b[31m", "small": np.arange(3, dtype=np.int32)}
    with parcel_directory() as directory:
        parcel = pack(result, directory)
        assert parcel.path is not None and os.path.dirname(parcel.path) == directory
        assert len(parcel.payload) < 10_000  # the points are not in the pickle
        got = unpack(parcel)
        assert not os.path.exists(parcel.path)
    assert not os.path.exists(directory)
    for mine, theirs in zip(got["loss"].arrays(), result["loss"].arrays()):
        assert mine.tobytes() == theirs.tobytes()
        assert not mine.flags.writeable  # mapped read-only: nothing can scribble on a shared curve
    assert got["note"] == result["note"] and got["small"].tolist() == [0, 1, 2]


def test_a_curve_from_shared_memory_keeps_growing():
    with parcel_directory() as directory:
        series = unpack(pack({"c": _curve(300_000)}, directory))["c"]
    series.append(300_000, 1.0, 42.0)
    steps, values, walls = series.arrays()
    assert len(steps) == 300_001 and values[-1] == 42.0 and steps[-2] == 299_999
    assert series.truncate_from_step(10) == 299_991 and len(series) == 10


def test_small_results_and_unwritable_places_go_in_the_pickle(tmp_path):
    small = {"c": _curve(10)}
    with parcel_directory() as directory:
        assert pack(small, directory).path is None
    big = {"c": _curve(200_000)}
    for directory in (None, str(tmp_path / "missing")):
        parcel = pack(big, directory)
        assert parcel.path is None
        assert unpack(parcel)["c"].arrays()[1].tobytes() == big["c"].arrays()[1].tobytes()


def test_a_full_shared_memory_sends_the_arrays_in_the_pickle_and_leaves_no_file(monkeypatch):
    """Docker gives containers a 64 MB /dev/shm: once it is full, parcels travel the ordinary way."""
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fd, mode):
            self.handle = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    big = {"c": _curve(200_000)}
    with parcel_directory() as directory:
        monkeypatch.setattr(shipping.os, "fdopen", Full)
        parcel = pack(big, directory)
        monkeypatch.undo()
        assert parcel.path is None and os.listdir(directory) == []
        assert unpack(parcel)["c"].arrays()[2].tobytes() == big["c"].arrays()[2].tobytes()


def test_parcels_never_opened_are_removed_with_their_directory():
    with parcel_directory() as directory:
        parcel = pack({"c": _curve(200_000)}, directory)
    assert not os.path.exists(parcel.path) and not os.path.exists(directory)


def test_without_shared_memory_parcels_go_to_the_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(shipping, "SHARED_MEMORY", str(tmp_path / "no-shm"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(shipping.tempfile, "tempdir", None)
    with parcel_directory() as directory:
        assert os.path.dirname(directory) == str(tmp_path)
        parcel = pack({"c": _curve(200_000)}, directory)
        assert unpack(parcel)["c"].arrays()[0][-1] == 199_999


def test_a_pickled_series_adopts_its_arrays():
    series = pickle.loads(pickle.dumps(_curve(1000)))
    assert series.nbytes == 1000 * 24  # no spare tail capacity: the arrays were taken as they came
