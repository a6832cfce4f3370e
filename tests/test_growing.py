"""A curve's running figures kept per point grow by doubling: a live tail or a step-at-a-time replay appending one
point at a time must not copy the whole history at each point (it did: ``np.concatenate`` onto it per block)."""

from __future__ import annotations

import numpy as np
import pytest

from tui.judging.growing import Growing
from tui.judging.tracks import Track


def test_values_appended_in_blocks_read_back_in_order():
    grown = Growing(np.int64)
    for block in (np.arange(3), np.arange(3, 100), np.arange(100, 101)):
        grown.extend(block)
    assert len(grown) == 101 and grown.view.dtype == np.int64
    assert grown.view.tolist() == list(range(101))


def test_the_view_cannot_be_written_and_an_old_view_keeps_its_values():
    grown = Growing()
    grown.extend(np.array([1.0, 2.0]))
    before = grown.view
    with pytest.raises(ValueError):
        before[0] = 5.0
    grown.extend(np.arange(1000.0))  # moves to a larger buffer
    assert before.tolist() == [1.0, 2.0] and grown.view[:2].tolist() == [1.0, 2.0]


def test_appending_one_at_a_time_moves_the_history_a_logarithmic_number_of_times():
    grown, buffers = Growing(), []  # held, so no buffer's identity is reused
    for value in range(20_000):
        grown.extend(np.array([float(value)]))
        if not any(grown.view.base is held for held in buffers):
            buffers.append(grown.view.base)
    assert len(buffers) <= 12  # 64, 128, ... 32768: doubling from 64 (one new buffer per point before)
    assert grown.view[-1] == 19_999.0


def test_a_track_fed_point_by_point_keeps_the_figures_of_one_whole_read():
    rng = np.random.default_rng(3)
    values = np.exp(-np.arange(500) / 80) + rng.normal(0, 0.02, 500)
    values[[40, 41]] = np.nan
    steps = np.arange(500) * 10
    whole, stepwise = Track(), Track()
    whole.consume(steps, values, 500)
    for end in range(1, 501):
        stepwise.consume(steps, values, end)
    assert stepwise.low_indices.tolist() == whole.low_indices.tolist()
    assert stepwise.bests.tolist() == whole.bests.tolist()
    assert [stepwise.low_at(s) for s in (0, 395, 4990)] == [whole.low_at(s) for s in (0, 395, 4990)]
    assert stepwise.ranges(np.array([10, 499])).tolist() == whole.ranges(np.array([10, 499])).tolist()


def test_a_tracks_history_lives_in_buffers_grown_by_doubling():
    track, values = Track(), np.linspace(1.0, 0.1, 5_000)
    buffers: list[np.ndarray] = []  # held, so no buffer's identity is reused
    for end in range(1, 5_001):
        track.consume(np.arange(5_000), values, end)
        for history in (track.bests, track.low_indices):
            assert history.base is not None  # a view of a larger buffer, not a fresh copy of the whole history
            if not any(history.base is held for held in buffers):
                buffers.append(history.base)
    assert len(buffers) <= 2 * 8  # each of the two: 64, 128, ... 8192


def test_a_buffer_shipped_read_only_is_copied_not_written_and_only_its_filled_part_is_pickled():
    import pickle

    grown = Growing()
    grown.extend(np.arange(10.0))
    state = grown.__getstate__()
    assert len(state[0]) == 10  # not its room of 64
    shipped = pickle.loads(pickle.dumps(grown))
    shipped._buffer = np.concatenate((shipped._buffer, np.zeros(54)))  # a mapping with room, read-only
    shipped._buffer.flags.writeable = False
    shipped.extend(np.array([10.0]))
    assert shipped.view.tolist() == list(range(11))
