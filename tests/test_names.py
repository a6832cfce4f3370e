"""Run names cut to fit a column: true pieces of the name, within the width, and never two alike."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from rich.cells import cell_len

from tui.cuts import cut_text, distinct_cuts, middle_cut

HYDRA = [
    f"multirun/2024-05-01/12-34-56/model=resnet50,optimizer={optimizer},lr={lr},seed={seed}"
    for optimizer, lr, seed in itertools.product(("adamw", "sgd", "lamb"), ("0.001", "0.0001", "0.01"), (1, 2, 3))
]
"""A Hydra sweep: 27 runs alike at the start, differing in the middle and at the end."""


def pieces_in_order(shown: str, name: str) -> bool:
    """``shown`` is pieces of ``name`` in their order, joined by '…'."""
    at = 0
    for piece in shown.split("…"):
        found = name.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


@pytest.mark.parametrize("width", [12, 20, 28, 44, 60])
def test_every_run_of_a_sweep_reads_apart_in_true_pieces_within_the_width(width: int):
    names = [
        *HYDRA,
        "short",
        "日本語の長い実験名前-optimizer=adamw-seed=1",
        "日本語の長い実験名前-optimizer=sgd-seed=1",
    ]
    cuts = distinct_cuts(dict.fromkeys(names, width))
    shown = [cut_text(name, cuts.get(name)) for name in names]
    assert len(set(shown)) == len(names)
    for name, text in zip(names, shown, strict=True):
        assert cell_len(text) <= width, text
        assert (name in cuts) == (cell_len(name) > width)
        assert pieces_in_order(text, name), (text, name)


def test_names_alike_at_both_ends_show_where_they_differ():
    sweep = [f"mnist_vae/mnist_vae-{optimizer}-lr2.51e+00-s42" for optimizer in ("adam", "sgd", "momentum")]
    cuts = distinct_cuts(dict.fromkeys(sweep, 28))
    assert [cut_text(name, cuts[name]) for name in sweep] == [
        "mnist_va…adam-lr2.51e+00-s42",
        "mnist_vae…sgd-lr2.51e+00-s42",
        "mnis…momentum-lr2.51e+00-s42",
    ]
    hydra = [HYDRA[0], HYDRA[9]]  # the optimizer sits in the middle: the end is kept from it on
    cuts = distinct_cuts(dict.fromkeys(hydra, 44))
    assert [cut_text(name, cuts[name]) for name in hydra] == [
        "multirun/2024-05-01/12…adamw,lr=0.001,seed=1",
        "multirun/2024-05-01/12…r=sgd,lr=0.001,seed=1",
    ]


def test_names_that_differ_at_the_end_keep_the_middle_cut_with_whole_numbers():
    """The middle cut, moved off the numbers it fell inside: it showed '2024-05-01_1…0,lr=0.0001' (the hour 12 as
    1, and 50 as 0)."""
    names = ["2024-05-01_12-34-56_model=resnet50,lr=0.001", "2024-05-01_12-34-56_model=resnet50,lr=0.0001"]
    cuts = distinct_cuts(dict.fromkeys(names, 24))
    assert [cut_text(name, cuts[name]) for name in names] == ["2024-05-01_…t50,lr=0.001", "2024-05-01_…50,lr=0.0001"]


TOLSTOI = [
    f"tolstoi_char_rnn/tolstoi_char_rnn-{optimizer}-lr{lr}-s{seed}"
    for optimizer, lr, seed in itertools.product(
        ("adam", "sgd", "momentum"), ("1.58e-04", "2.51e-03", "3.98e+00", "1.00e-02", "2.51e-04"), (42, 45, 50)
    )
]
"""A DeepOBS sweep: the learning rate written with a signed exponent, whose sign is also a separator of the name."""

NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def numbers_cut(name: str, cut: tuple[tuple[int, int], ...]) -> list[str]:
    """The numbers of ``name`` that a piece of ``cut`` starts or ends inside."""
    spans = [match.span() for match in NUMBER.finditer(name)]
    return [name[a:b] for a, b in spans for start, end in cut if a < start < b or a < end < b]


def test_a_name_alone_is_not_cut_inside_a_number():
    """A newcomer's find: 'tolstoi_ch…8e+00-s45' read as a learning rate of 8; it was 3.98."""
    name = "tolstoi_char_rnn/tolstoi_char_rnn-adam-lr3.98e+00-s45"
    cut = middle_cut(name, 20)
    assert cut_text(name, ((0, cut[0]), (cut[1], len(name)))) == "tolstoi…3.98e+00-s45"


@pytest.mark.parametrize("width", [16, 20, 24, 30, 44])
def test_a_sweeps_names_keep_their_numbers_whole(width: int):
    """'…adam…lr1.58e…' hid the exponent's sign (``-`` was read as a separator inside ``e-04``), and '…' stood in
    for one character, which saves no cell."""
    names = [*TOLSTOI, *HYDRA]
    cuts = distinct_cuts(dict.fromkeys(names, width))
    shown = [cut_text(name, cuts.get(name)) for name in names]
    assert len(set(shown)) == len(names)
    for name in names:
        if name in cuts:
            assert numbers_cut(name, cuts[name]) == [], (name, cut_text(name, cuts[name]))
            gaps = [b - a for (_, a), (b, _) in itertools.pairwise(cuts[name])]
            assert min(gaps) > 1, cut_text(name, cuts[name])
    assert cut_text(TOLSTOI[0], cuts[TOLSTOI[0]]).endswith("1.58e-04-s42")


@pytest.mark.parametrize("width", [8, 10, 12, 14])
def test_too_narrow_for_whole_numbers_the_names_still_read_apart(width: int):
    """Where no cut with whole numbers tells two runs apart, one inside a number does: two alike are worse."""
    cuts = distinct_cuts(dict.fromkeys(TOLSTOI, width))
    assert len({cut_text(name, cuts[name]) for name in TOLSTOI}) == len(TOLSTOI)


@pytest.mark.parametrize("width", [28, 40])
def test_a_grid_of_two_settings_shows_both_where_the_ends_cannot(width: int):
    """A reviewer's find: a 3 × 3 grid (optimizer × batch size, both mid-name) cut alike by batch size took the
    window on the optimizer alone, and names that still clashed any cut: '…eps=500,batch_size=64,epochs=90,…'."""
    grid = {
        (optimizer, batch): f"runs/exp-2024-05-01/model=resnet50,optimizer={optimizer},scheduler=cosine,"
        f"warmup_steps=500,batch_size={batch},epochs=90,seed=42"
        for optimizer, batch in itertools.product(("adamw", "sgd", "lamb"), (64, 128, 256))
    }
    cuts = distinct_cuts(dict.fromkeys(grid.values(), width))
    for (optimizer, batch), name in grid.items():
        shown = cut_text(name, cuts[name])
        assert cell_len(shown) <= width and pieces_in_order(shown, name)
        assert f"optimizer={optimizer}" in shown and f"size={batch}" in shown, shown


@pytest.mark.parametrize("width", [8, 12, 16])
def test_ids_and_timestamps_longer_than_the_room_are_cut_not_dropped(width: int):
    """A reviewer's find: a number too long for its side of the cut was dropped whole, and with it the closing '…':
    'run-20240105123045' showed as 'run-' (read as the whole name), and two such runs as '…' and ''. A number no
    room could show whole is cut as text is; every cut name keeps its '…' and some of its characters."""
    names = [f"run-2024010512304{k}" for k in range(3)] + [f"17123456789{k:02d}" for k in range(3)]
    names += ["opt_adam_lr=0.000123456789012345", "opt_sgd_lr=0.000123456789012345", "xx_1.58e-04_yy"]
    cuts = distinct_cuts(dict.fromkeys(names, width))
    shown = [cut_text(name, cuts.get(name)) for name in names]
    assert len(set(shown)) == len(names), shown
    for name, text in zip(names, shown, strict=True):
        assert cell_len(text) <= width and pieces_in_order(text, name), (name, text)
        if cell_len(name) > width:
            assert "…" in text and text.strip("…"), (name, text)
    if width == 12:
        assert shown[:2] == ["run-20…23040", "run-20…23041"]


RATES = [repr(10 ** (-5 + k * 0.4)) for k in range(12)]
"""Rates as ``repr`` writes them: 0.00039810717055349735, 2.5118864315095822e-05."""


@pytest.mark.parametrize("width", [12, 16, 21, 30])
@pytest.mark.parametrize("form", ["lr={},wd=1.23456789e-05", "exp/wd=1e-05,lr={},seed=42", "exp-wd=1e-05,lr={}"])
def test_a_fraction_is_never_shown_by_its_last_digits_alone(width: int, form: str):
    """A reviewer's find: '…39810717055349735,w…' (a rate cut at its start reads as another number), '…-05' of a
    weight decay, and rows showing only '…,wd=1.23456789e-05', the end every run shares."""
    names = [form.format(rate) for rate in RATES]
    cuts = distinct_cuts(dict.fromkeys(names, width))
    shown = [cut_text(name, cuts.get(name)) for name in names]
    assert len(set(shown)) == len(names), shown
    for name, text in zip(names, shown, strict=True):
        assert cell_len(text) <= width and pieces_in_order(text, name), (name, text)
        pieces, at = [], 0
        for piece in text.split("…"):
            start = name.index(piece, at)
            at = start + len(piece)
            pieces.append((start, at))
        fractions = [m.span() for m in NUMBER.finditer(name) if not m.group().isdigit()]
        assert not [name[a:b] for s, e in pieces[1:] if s < e for a, b in fractions if a < s < b], (name, text)


@pytest.mark.parametrize("width", range(6, 40))
def test_a_cut_never_splits_a_letter_from_its_accent(width: int):
    """``é`` written as ``e`` and U+0301: cut between them, the accent sat on the '…' (a QA pass)."""
    names = ["e\u0301" * 30 + "-run-a", "e\u0301" * 30 + "-run-b", "\U0001f44d\U0001f3fd" * 12 + "-x"]
    for name in names:
        head, tail = middle_cut(name, width)
        assert not unicodedata.combining(name[tail]) and not unicodedata.combining(name[head]), (name, width)
        assert name[tail] != "\U0001f3fd" and name[head] != "\U0001f3fd"  # a skin tone is its emoji's
    for name, cut in distinct_cuts(dict.fromkeys(names, width)).items():
        shown = cut_text(name, cut)
        assert cell_len(shown) <= width and pieces_in_order(shown, name)
        assert all(not unicodedata.combining(shown[i + 1]) for i, c in enumerate(shown[:-1]) if c == "…"), shown
