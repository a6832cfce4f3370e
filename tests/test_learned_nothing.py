"""A net that learned nothing does not overfit. A real MLP whose ReLUs died at its first step (a bias of -10, held-out
seed 4 of the realnets ``mlp-dead`` regime, trained with PyTorch 2.13): its training loss crept from 2.3055 to
2.3013 (0.2 % of its start), validation from 2.3083 to 2.311 with 0.0005 of noise, accuracy at 0.09 throughout. That
is a rise of six noise deviations while training fell: the overfitting bell rang at epoch 10. Validation's best was
within one noise deviation of its start — there is no checkpoint to go back to — and the plateau at chance says what
is wrong."""

from __future__ import annotations

from judging_helpers import judge, overfitting_curves

TRAIN = [2.30545, 2.30588, 2.30354, 2.30252, 2.30212, 2.30195, 2.30156, 2.30135, 2.30143, 2.30151, 2.30131]
TRAIN += [2.3014, 2.3014, 2.30135, 2.30139, 2.30144, 2.30196, 2.3016, 2.3012, 2.30153, 2.30145]
VAL = [2.30831, 2.30765, 2.30794, 2.30876, 2.30964, 2.30895, 2.31052, 2.31033, 2.31103, 2.3112, 2.31072]
VAL += [2.31062, 2.31075, 2.31116, 2.31084, 2.31138, 2.31163, 2.31084, 2.31081, 2.31086, 2.31069]
VAL_ACC = [0.0925553, 0.0925553] + [0.0885312] * 19


def test_a_dead_net_creeping_at_chance_rings_no_bell_and_is_a_plateau(tmp_path):
    judged = judge(tmp_path / "run", {"train_loss": TRAIN, "val_loss": VAL, "val_acc": VAL_ACC})
    assert not judged.bells
    assert "val-rising" not in judged.kinds()
    assert judged.verdict.kind == "plateau"
    assert "the predictions did not get better" in judged.verdict.reason


def test_without_accuracy_it_is_no_overfitting_either(tmp_path):
    judged = judge(tmp_path / "run", {"train_loss": TRAIN, "val_loss": VAL})
    assert not judged.bells
    assert judged.verdict.kind != "overfitting"


def test_a_net_that_learned_a_little_and_overfits_still_rings(tmp_path):
    """The guard is for nets that learned nothing: a real CNN's shape, validation falling by a tenth of its start
    before it turns, still rings."""
    train, val = overfitting_curves(n=60, onset=20)
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [a.kind for a in judged.bells] == ["overfitting"]
