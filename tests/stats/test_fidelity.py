"""The fidelity arithmetic on known answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from perfbench.results.fidelity import OutputFidelity
from perfbench.stats.fidelity import (FidelityError, agreement, classifier_classes,
                                      compare_output, compare_outputs)


def _logits(rows=4, classes=10, seed=0):
    return np.random.default_rng(seed).standard_normal((rows, classes)).astype(np.float32)


def test_identical_outputs_agree_fully_and_have_infinite_sqnr():
    samples = [_logits(seed=s) for s in range(3)]
    item = compare_output("prob", samples, [s.copy() for s in samples])
    assert item.identical and item.sqnr_infinite
    assert item.sqnr_db is None                  # infinite, written null with identical: true
    assert item.top1_agreement_pct == 100.0 and item.top5_agreement_pct == 100.0
    assert item.rows == 12 and item.classifier
    assert item.max_abs_error == 0.0 and item.mean_abs_error == 0.0
    assert item.max_rel_error == 0.0 and item.cosine_similarity == pytest.approx(1.0, abs=1e-15)
    text = json.dumps(item.to_dict(), allow_nan=False)      # valid JSON: no Infinity
    assert json.loads(text)["sqnr_db"] is None and json.loads(text)["identical"] is True


def test_a_known_perturbation_gives_its_sqnr_and_cosine_exactly():
    ref = np.array([[3.0, -1.0, 2.0, 0.0, 4.0, 1.0]], dtype=np.float32)
    noise = np.array([[0.5, 0.0, -0.25, 0.0, 0.0, 0.25]], dtype=np.float32)
    item = compare_output("y", [ref], [ref + noise])
    signal = 9 + 1 + 4 + 0 + 16 + 1                          # 31
    energy = 0.25 + 0.0625 + 0.0625                          # 0.375
    assert item.sqnr_db == pytest.approx(10 * math.log10(signal / energy), rel=1e-12)
    out = [3.5, -1.0, 1.75, 0.0, 4.0, 1.25]
    dot = 3 * 3.5 + 1 + 2 * 1.75 + 16 + 1.25
    expected_cos = dot / (math.sqrt(signal) * math.sqrt(sum(v * v for v in out)))
    assert item.cosine_similarity == pytest.approx(expected_cos, rel=1e-12)
    assert item.max_abs_error == 0.5 and item.mean_abs_error == pytest.approx(1.0 / 6)
    # relative over the five non-zero reference elements: 1/6, 0, 1/8, 0, 1/4
    assert item.max_rel_error == 0.25
    assert item.mean_rel_error == pytest.approx((1 / 6 + 1 / 8 + 1 / 4) / 5, rel=1e-12)
    assert not item.identical and item.top1_agreement_pct == 100.0


def test_sqnr_of_a_scaled_output_is_the_scale_error_in_db():
    """out = 1.01 · ref: noise is 1 % of the signal in amplitude, so SQNR is exactly 40 dB,
    and the cosine similarity is exactly 1 (same direction)."""
    ref = np.random.default_rng(1).standard_normal((2, 50))
    item = compare_output("y", [ref], [ref * 1.01])
    assert item.sqnr_db == pytest.approx(40.0, abs=1e-9)
    assert item.cosine_similarity == pytest.approx(1.0, abs=1e-12)


def test_top1_and_top5_agreement_count_rows():
    ref = np.array([[9, 1, 2, 3, 4, 5, 6], [0, 9, 1, 2, 3, 4, 5],
                    [0, 1, 9, 2, 3, 4, 5], [0, 1, 2, 9, 3, 4, 5]], dtype=float)
    out = ref.copy()
    out[1] = [9, 8, 1, 2, 3, 4, 5]          # argmax moves to 0; the answer (1) is 2nd: top-5 ok
    out[2] = [0, 1, 0, 2, 3, 4, 5]          # the answer (2) is now 6th of 7: top-5 misses
    top1, top5, rows = agreement(ref, out)
    assert rows == 4 and top1 == 50.0 and top5 == 75.0


def test_top5_is_none_below_five_classes_and_no_agreement_on_feature_maps():
    assert agreement(np.eye(3), np.eye(3))[1] is None
    assert classifier_classes((1, 1001)) == 1001 and classifier_classes((2, 10, 1, 1)) == 10
    assert classifier_classes((1, 8, 32, 32)) is None and classifier_classes((5,)) is None
    item = compare_output("features", [np.ones((1, 8, 4, 4))], [np.ones((1, 8, 4, 4))])
    assert not item.classifier and item.top1_agreement_pct is None


def test_an_output_shape_that_cannot_be_compared_is_one_line():
    with pytest.raises(FidelityError) as info:
        compare_output("prob", [np.zeros((1, 10))], [np.zeros((1, 9))])
    assert str(info.value) == ("output 'prob': shape [1, 9] from the run, [1, 10] from the "
                               "reference: cannot compare")
    with pytest.raises(FidelityError, match="non-finite"):
        compare_output("y", [np.ones(3)], [np.array([1.0, np.nan, 1.0])])
    with pytest.raises(FidelityError, match="outputs"):
        compare_outputs({"a": [np.ones(2)]}, {"b": [np.ones(2)]})


def test_a_reference_of_zeros_has_no_sqnr_but_is_not_identical():
    item = compare_output("y", [np.zeros(4)], [np.array([0.0, 1.0, 0.0, 0.0])])
    assert item.sqnr_db is None and not item.identical and item.cosine_similarity is None
    assert item.max_rel_error is None


def test_figures_round_trip_through_the_stored_form():
    item = compare_output("y", [_logits()], [_logits() * 1.001])
    assert OutputFidelity.from_dict(json.loads(json.dumps(item.to_dict())), "o") == item
