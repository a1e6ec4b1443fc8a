"""``run --fidelity`` on the real CPU plugin: tiny models, known answers."""

from __future__ import annotations

import dataclasses
import json
import math
import threading

import numpy as np
import openvino as ov
import openvino.opset15 as ops
import pytest

from perfbench.errors import UsageError
from perfbench.model.compile import compile_model
from perfbench.model.inputs import make_tensors
from perfbench.model.prepare import prepare_model
from perfbench.results import from_document
from perfbench.results.fidelity import SYNTHETIC_LABEL
from perfbench.runner.fidelity import (check_fidelity, fidelity_inputs, measure_fidelity,
                                       run_with_fidelity)
from perfbench.settings.config import BenchmarkConfig
from perfbench.stats.fidelity import decode_stored
from tests.classifier_models import classifier_model
from tests.models import save


def _scaled_affine(scale: float) -> ov.Model:
    """y = scale·x + 1 on x [2, 6]: classifier-shaped (N × C), answers known in numpy."""
    x = ops.parameter([2, 6], np.float32, name="x")
    y = ops.add(ops.multiply(x, ops.constant(np.float32(scale))), ops.constant(np.float32(1)))
    y.output(0).get_tensor().set_names({"y"})
    return ov.Model([y], [x], "affine")


@pytest.fixture(scope="module")
def classifier_ir(tmp_path_factory):
    return save(classifier_model(), tmp_path_factory.mktemp("fid") / "classifier.xml")


@pytest.fixture(scope="module")
def affine_ir(tmp_path_factory):
    return save(_scaled_affine(2.0), tmp_path_factory.mktemp("fid") / "affine.xml")


def test_the_synthetic_inputs_are_the_runs_own(core, classifier_ir):
    """Sample i is request i's tensors: the seeded fill in the run's order."""
    config = BenchmarkConfig(model=classifier_ir, seed=3)
    prepared = prepare_model(config, core)
    inputs, kind, seed = fidelity_inputs(prepared, config, 5)
    tensors = make_tensors(prepared.inputs, 3, 3)
    assert kind == "synthetic" and seed == 3 and len(inputs) == 5
    for sample, request in zip(inputs, tensors):
        np.testing.assert_array_equal(sample["image"], request["image"].data)


def test_a_known_perturbation_through_the_plugin_gives_its_sqnr(core, affine_ir):
    """The reference is y = 2x + 1 (f32, exact); the candidate y = 2.02x + 1, so the
    noise is 0.02x: SQNR and cosine from the inputs alone, in numpy."""
    config = BenchmarkConfig(model=affine_ir, precision="bf16")
    original = prepare_model(config, core)
    candidate = compile_model(core, _scaled_affine(2.02),
                              dataclasses.replace(config, precision="f32")).model
    fidelity = measure_fidelity(core, config, original, candidate, "test", 4)
    x = np.stack([s["x"] for s in fidelity_inputs(original, config, 4)[0]]).astype(np.float64)
    x32 = x.astype(np.float32)
    ref = 2 * x + 1                                   # exact in f32 for these inputs
    out = (np.float32(2.02) * x32 + np.float32(1)).astype(np.float64)   # as f32 computes it
    item = fidelity.output("y")
    np.testing.assert_array_equal(decode_stored(fidelity.reference_outputs["y"]),
                                  (2 * x32 + 1))
    expected = 10 * math.log10(np.sum(ref ** 2) / np.sum((out - ref) ** 2))
    assert item.sqnr_db == pytest.approx(expected, abs=1e-6)
    cos = np.sum(ref * out) / np.linalg.norm(ref) / np.linalg.norm(out)
    assert item.cosine_similarity == pytest.approx(cos, abs=1e-12)
    assert item.rows == 8 and item.top1_agreement_pct == 100.0   # a scale keeps the arg-max
    assert fidelity.samples == 4 and fidelity.label == SYNTHETIC_LABEL


def test_the_same_model_in_f32_is_identical(core, classifier_ir):
    config = BenchmarkConfig(model=classifier_ir, precision="bf16")
    original = prepare_model(config, core)
    same = compile_model(core, original.model, dataclasses.replace(config, precision="f32"))
    item = measure_fidelity(core, config, original, same.model, "f32", 3).outputs[0]
    assert item.identical and item.sqnr_db is None and item.top1_agreement_pct == 100.0


def test_run_with_fidelity_bf16_records_figures_in_the_result(classifier_ir):
    """bf16 where the device runs it (AVX-512 BF16, AMX); where it resolves f32 (an AVX2
    machine) the run's outputs are the reference's, and the result says there was
    nothing to compare instead of figures (the machine decides which, not the test)."""
    result = run_with_fidelity(BenchmarkConfig(model=classifier_ir, precision="bf16",
                                               iterations=20), samples=6)
    if result.resolved.get("precision") == "f32":
        assert result.fidelity is None
        assert any("resolved f32" in w and "nothing to compare" in w for w in result.warnings)
        return
    fidelity = result.fidelity
    assert fidelity.configured == "bf16" and fidelity.reference == "f32"
    assert fidelity.samples == 6 and fidelity.inputs == "synthetic"
    item = fidelity.output("logits")
    assert item.rows == 12 and item.shape == (2, 10)
    assert not item.identical and 20 < item.sqnr_db < 80      # bf16 keeps ~8 bits
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["schema_version"] == 4
    assert from_document(document, "x").fidelity == fidelity


def test_run_with_fidelity_int8_compares_the_quantized_model(classifier_ir):
    result = run_with_fidelity(BenchmarkConfig(model=classifier_ir, precision="int8",
                                               calibration_size=4, iterations=10), samples=4)
    assert result.quantization is not None and result.fidelity.configured == "int8"
    item = result.fidelity.output("logits")
    assert not item.identical and item.sqnr_db is not None and 0 < item.sqnr_db < 80


def test_fidelity_with_f32_and_nothing_quantized_is_one_line():
    with pytest.raises(UsageError, match="nothing to compare"):
        check_fidelity(BenchmarkConfig(precision="f32"))
    with pytest.raises(UsageError, match="--input gives the data"):
        check_fidelity(BenchmarkConfig(precision="bf16", input=("x.npy",)), 4)
    check_fidelity(BenchmarkConfig(precision="int8"))
    check_fidelity(BenchmarkConfig())                 # the device decides: compared if not f32


def test_a_stop_during_the_run_skips_fidelity_and_keeps_the_result(classifier_ir):
    stop = threading.Event()

    def stop_after_first_window(progress):
        stop.set()
    result = run_with_fidelity(BenchmarkConfig(model=classifier_ir, precision="bf16", time=3),
                               on_window=stop_after_first_window, stop_event=stop)
    assert result.fidelity is None
    assert any("no fidelity figures" in w for w in result.warnings)


def test_input_files_are_every_sample_compared_and_labelled_as_such(classifier_ir, tmp_path):
    data = np.random.default_rng(5).uniform(0, 255, (3, 2, 3, 16, 16)).astype(np.float32)
    np.save(tmp_path / "image.npy", data)
    result = run_with_fidelity(BenchmarkConfig(model=classifier_ir, precision="int8",
                                               calibration_size=4, iterations=10,
                                               input=(str(tmp_path / "image.npy"),)))
    fidelity = result.fidelity
    assert fidelity.samples == 3 and fidelity.inputs == "--input" and fidelity.seed is None
    assert fidelity.label == "fidelity on --input data"
    assert decode_stored(fidelity.reference_outputs["logits"]).shape == (3, 2, 10)
