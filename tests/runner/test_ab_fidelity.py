"""``ab --fidelity``'s pass (:mod:`perfbench.runner.ab_fidelity`): both sides' outputs
from real workers on the real CPU plugin, compared and judged; and the judgement of
constructed replies, whose figures are known in advance."""

from __future__ import annotations

import math
import sys

import numpy as np
import openvino as ov
import openvino.opset15 as ops
import pytest

from perfbench.runner.ab_fidelity import fidelity_pass, judged
from perfbench.runner.fidelity import fidelity_inputs, inputs_digest
from perfbench.runner.side_outputs import MAX_TRANSFER_VALUES, kept_samples
from perfbench.settings.config import BenchmarkConfig
from perfbench.stats.fidelity import FidelityError, encoded
from perfbench.model.prepare import prepare_model
from tests.classifier_models import classifier_model
from tests.models import save

PYTHONS = (sys.executable, sys.executable)
PERTURB = 0.05


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("fidelity-ab")
    return {"base": save(classifier_model(), root / "base.xml"),
            "moved": save(classifier_model(perturb=PERTURB), root / "moved.xml"),
            "wide": save(classifier_model(classes=12), root / "wide.xml"),
            "inf": save(_infinite_model(), root / "inf.xml")}


def _infinite_model() -> ov.Model:
    """The classifier's input and output, its logits divided by zero: every output inf."""
    image = ops.parameter([2, 3, 16, 16], np.float32, name="image")
    pooled = ops.reduce_mean(image, ops.constant(np.array([2, 3], dtype=np.int64)), False)
    logits = ops.divide(ops.matmul(pooled, ops.constant(np.ones((3, 10), np.float32)),
                                   False, False), ops.constant(np.float32(0)))
    logits.output(0).get_tensor().set_names({"logits"})
    return ov.Model([logits], [image], "infinite")


def _settings(model: str, **more) -> dict:
    return BenchmarkConfig(model=model, warmup=0.0, **more).to_dict()


def _expected_reference_sqnr(model: str, samples: int) -> float:
    """The perturbed column's logits are (1 + PERTURB) times BASE's, the others the same:
    noise = PERTURB² Σ logit₀², signal = Σ logits², from BASE's f32 outputs on the same
    seeded inputs (computed here with OpenVINO directly, not through perfbench's pass)."""
    core = ov.Core()
    config = BenchmarkConfig(model=model)
    inputs, _, _ = fidelity_inputs(prepare_model(config, core), config, samples)
    compiled = core.compile_model(core.read_model(model), "CPU",
                                  {"INFERENCE_PRECISION_HINT": "f32"})
    logits = np.stack([compiled(sample)[0] for sample in inputs]).astype(np.float64)
    return 10 * math.log10(np.sum(logits ** 2) / (PERTURB ** 2 * np.sum(logits[..., 0] ** 2)))


def test_the_unchanged_model_is_within_tolerance_with_identical_f32_answers(models):
    block = fidelity_pass(_settings(models["base"]), _settings(models["base"]), PYTHONS, 3)
    assert block.status == "complete" and block.verdict == "within tolerance"
    assert block.samples == 3 and block.inputs == "synthetic" and block.seed is not None
    (reference,) = block.reference
    assert reference.identical and reference.sqnr_db is None            # ∞: no noise
    assert reference.top1_agreement_pct == 100.0 and reference.rows == 6   # 3 × batch 2
    assert not block.judged.regressions


def test_a_perturbed_weight_is_a_fidelity_regression_with_its_computed_sqnr(models):
    block = fidelity_pass(_settings(models["base"]), _settings(models["moved"]), PYTHONS, 4)
    assert block.regression and block.status == "complete"
    (reference,) = block.reference
    assert reference.sqnr_db == pytest.approx(_expected_reference_sqnr(models["base"], 4),
                                              abs=0.01)
    regressed = {c.figure for c in block.judged.regressions}
    assert regressed == {"reference_sqnr_db"}       # its top-1 answers did not move
    assert reference.top1_agreement_pct == 100.0


def test_an_int8_side_is_judged_against_its_own_f32_from_before_quantization(models):
    """Both sides int8 (NNCF, the same calibration): their int8 outputs agree exactly, and
    each one's f32 reference is the model before quantization (its int8 outputs are not
    identical to it: a finite SQNR), itself identical across the sides."""
    int8 = {"precision": "int8", "calibration_size": 8}
    block = fidelity_pass(_settings(models["base"], **int8), _settings(models["base"], **int8),
                          PYTHONS, 2)
    assert block.verdict == "within tolerance"
    assert block.configured == {"base": "int8", "new": "int8"}
    assert block.reference[0].identical and block.precision[0].identical
    for side in ("base", "new"):
        (own,) = block.sides[side]
        assert not own.identical and own.sqnr_db is not None and own.rows == 4
    judged_figures = {c.figure for c in block.judged.changes}
    assert {"top1_agreement_pct", "top5_agreement_pct", "sqnr_db"} <= judged_figures


def test_outputs_whose_shapes_differ_are_one_line_and_the_pass_failed(models):
    block = fidelity_pass(_settings(models["base"]), _settings(models["wide"]), PYTHONS, 2)
    assert block.status == "failed" and block.verdict == "failed" and block.failed
    assert block.error == ("outputs not compared: output 'logits': shape [2, 12] from NEW, "
                           "[2, 10] from BASE")
    assert block.reference == () and block.judged is None


def test_a_side_that_gives_no_finite_outputs_is_one_line_and_the_pass_failed(models):
    block = fidelity_pass(_settings(models["base"]), _settings(models["inf"]), PYTHONS, 2)
    assert block.status == "failed" and "\n" not in block.error
    assert block.error.startswith("outputs not compared: output 'logits': 40 non-finite "
                                  "values (NaN or inf) from NEW's f32 model")


def test_a_side_that_cannot_start_is_one_line_and_the_pass_failed(models, tmp_path):
    block = fidelity_pass(_settings(models["base"]), _settings(str(tmp_path / "gone.xml")),
                          PYTHONS, 2)
    assert block.status == "failed" and block.error.startswith("no outputs: NEW: ")
    assert "\n" not in block.error


def test_a_stop_before_the_pass_is_interrupted(models):
    import threading
    stop = threading.Event()
    stop.set()
    block = fidelity_pass(_settings(models["base"]), _settings(models["base"]), PYTHONS, 2,
                          stop_event=stop)
    assert block.status == "interrupted" and block.failed


# -- the judgement of constructed replies: figures known in advance ----------------------

ROWS = [np.array([[3.0, 1.0, 0.5, 0.2, 0.1, 0.0]]), np.array([[0.1, 2.0, 0.3, 0.2, 0.0, 1.0]]),
        np.array([[0.0, 0.1, 4.0, 0.2, 0.3, 1.0]]), np.array([[1.0, 0.1, 0.2, 5.0, 0.3, 0.0]])]


def _reply(f32, configured=None, made_in="int8", digest="d") -> dict:
    return {"configured": "f32" if configured is None else made_in, "samples": len(f32),
            "inputs": "synthetic", "seed": 1, "label": "numerical fidelity on synthetic inputs",
            "inputs_digest": digest,
            "outputs": {"f32": {"y": encoded(f32)},
                        "configured": None if configured is None else {"y": encoded(configured)}}}


def _flipped(rows, index):
    """Row ``index`` with its answer moved to its second-best class."""
    out = [r.copy() for r in rows]
    row = out[index][0]
    row[np.argsort(row)[-2]] = row.max() + 1
    return out


def test_int8_that_drops_agreement_against_its_own_f32_is_a_regression():
    """Both releases give the same f32 answers; NEW's int8 changes one of four answers
    (top-1 75 % against BASE's 100 %: a 25 pp drop, beyond the 1 pp tolerance)."""
    block = judged({"base": _reply(ROWS, ROWS), "new": _reply(ROWS, _flipped(ROWS, 1))})
    figures = {c.figure: c for c in block.judged.changes}
    assert figures["top1_agreement_pct"].baseline == 100.0
    assert figures["top1_agreement_pct"].new == 75.0
    assert figures["top1_agreement_pct"].verdict == "regression"
    assert figures["reference_sqnr_db"].verdict == "within tolerance"   # identical f32
    assert block.regression and block.configured == {"base": "int8", "new": "int8"}
    assert block.sides["new"][0].top1_agreement_pct == 75.0
    assert block.precision[0].top1_agreement_pct == 75.0                # NEW int8 vs BASE's


def test_changed_f32_answers_give_their_sqnr_exactly():
    """NEW's f32 outputs 1.01 × BASE's: SQNR 10·log10(1 / 0.01²) = 40 dB, below 60."""
    moved = [r * 1.01 for r in ROWS]
    block = judged({"base": _reply(ROWS), "new": _reply(moved)})
    (reference,) = block.reference
    assert reference.sqnr_db == pytest.approx(40.0, abs=1e-4)      # float32 on the wire
    assert block.regression and block.precision is None and block.sides == {"base": None,
                                                                              "new": None}
    assert [c.figure for c in block.judged.regressions] == ["reference_sqnr_db"]


def test_sides_that_fed_other_inputs_are_not_compared():
    with pytest.raises(FidelityError, match=r"^the sides fed different inputs"):
        judged({"base": _reply(ROWS, digest="a"), "new": _reply(ROWS, digest="b")})


def test_a_side_in_f32_against_one_in_int8_is_warned_and_its_agreement_not_judged():
    block = judged({"base": _reply(ROWS), "new": _reply(ROWS, ROWS)})
    assert [c.figure for c in block.judged.changes] == ["reference_sqnr_db",
                                                        "reference_top1_agreement_pct"]
    assert any("BASE runs f32" in w for w in block.judged.warnings)


def test_a_large_output_is_cut_to_what_may_travel_and_arrives_whole(tmp_path):
    """A 32 × 256 × 256 feature map: 2 Mi values a sample and model, so of 8 samples asked
    only what fits in MAX_TRANSFER_VALUES for both models travels (one), in one reply of
    tens of MB, read whole.  BASE runs f32 (it sends its outputs once) and NEW the device's
    default: both keep the same samples, as the cut counts two models on every side (it
    counted one on an f32 side, which kept two samples against NEW's one, and the pass
    refused the same inputs as different, where the default is not f32)."""
    from tests.models import conv_model
    big = save(conv_model(size=256, filters=32), tmp_path / "big.xml")
    block = fidelity_pass(_settings(big, precision="f32"), _settings(big), PYTHONS, 8)
    assert block.status == "complete", block.error
    assert block.samples == kept_samples(8, 32 * 256 * 256, 2) == 1
    (reference,) = block.reference
    assert reference.shape == (1, 32, 256, 256) and reference.identical


def test_what_travels_is_bounded():
    assert kept_samples(8, 1000, 2) == 8
    assert kept_samples(8, MAX_TRANSFER_VALUES // 4, 2) == 2
    assert kept_samples(8, MAX_TRANSFER_VALUES * 3, 2) == 1          # at least one
    assert inputs_digest([{"x": np.zeros(2)}]) != inputs_digest([{"x": np.ones(2)}])
