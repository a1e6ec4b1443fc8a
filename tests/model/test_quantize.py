"""INT8 with NNCF, and which precision really ran (read back from the runtime graph)."""

import json
import sys

import numpy as np
import openvino as ov
import openvino.opset15 as ops
import pytest

from perfbench.cli.main import main
from perfbench.errors import UsageError
from perfbench.model.executed import precision_shares, shortfall
from perfbench.runner.benchmark import run
from perfbench.settings.config import BenchmarkConfig
from tests.models import conv_model, save, transformer_model

nncf = pytest.importorskip("nncf", reason="the int8 extra (NNCF) is part of the test extra")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "int8"


@pytest.fixture(scope="module")
def conv_ir(tmp_path_factory):
    return save(conv_model(size=32, channels=16, filters=32),
                tmp_path_factory.mktemp("int8") / "conv.xml")


def test_a_quantized_model_runs_int8_kernels_and_is_cached(conv_ir, cache):
    config = BenchmarkConfig(model=conv_ir, quantize="int8", calibration_size=4, iterations=20)
    first = run(config)
    assert first.requested["precision"] == "int8"
    assert first.executed_precision["int8"] > 0.9          # read back from the runtime graph
    q = first.quantization
    assert q["cache"] == "miss" and q["quantize_s"] > 0 and q["accuracy_measured"] is False
    assert any("accuracy was not measured" in n for n in first.model.notes)
    second = run(config)
    assert second.quantization["cache"] == "hit"
    assert second.executed_precision == first.executed_precision
    (cached,) = cache.glob("*.xml")
    cached.write_text("<not an IR")                        # a corrupt entry
    third = run(config)
    assert third.quantization["cache"] == "miss"
    assert any("unreadable: quantized again" in n for n in third.model.notes)


def test_a_transformer_quantizes_with_its_model_type(tmp_path, cache):
    path = save(transformer_model(seq=16, width=32, layers=1), tmp_path / "t.xml")
    result = run(BenchmarkConfig(model=path, quantize="int8", model_type="transformer",
                                 calibration_size=2, iterations=10))
    assert result.quantization["model_type"] == "transformer"
    assert result.executed_precision.get("int8", 0) > 0


def _runtime_like(layers: dict[str, tuple[str, str]]) -> ov.Model:
    """A graph whose nodes carry runtime-graph info: name -> (original layers, precision)."""
    x = ops.parameter([1], np.float32, name="x")
    nodes = []
    for name, (originals, precision) in layers.items():
        node = ops.relu(x)
        node.set_friendly_name(name)
        node.get_rt_info()["originalLayersNames"] = originals
        node.get_rt_info()["runtimePrecision"] = precision
        nodes.append(node)
    return ov.Model(nodes, [x], "runtime")


def test_flop_shares_on_a_known_mix():
    graph = _runtime_like({"a": ("conv1,relu1", "u8"), "b": ("conv2", "I8"),
                           "c": ("matmul", "f32"), "d": ("softmax", "bf16")})
    flops = {"conv1": 300, "conv2": 100, "matmul": 100}
    assert precision_shares(graph, flops) == {"int8": 0.8, "f32": 0.2}
    assert shortfall({"int8": 0.8, "f32": 0.2}, "int8") is None
    warning = shortfall({"f32": 0.7, "int8": 0.3}, "int8")
    assert warning.startswith("only 30.0 % of the conv + matmul FLOPs ran in int8")


def test_every_run_reports_what_ran(tiny_ir):
    """No quantization: the largest share is the precision the device resolved (bf16 on an
    AMX machine, f32 on one without), whatever this machine is."""
    result = run(BenchmarkConfig(model=tiny_ir, iterations=10))
    shares = result.executed_precision
    assert shares and abs(sum(shares.values()) - 1) < 1e-9
    assert max(shares, key=shares.get) == result.resolved["precision"]


def test_exec_graph_is_saved(tiny_ir, tmp_path):
    path = tmp_path / "exec.xml"
    result = run(BenchmarkConfig(model=tiny_ir, iterations=5, exec_graph=str(path)))
    import xml.etree.ElementTree as ET
    layers = ET.parse(path).getroot().iter("layer")
    precisions = {layer.find("data").get("runtimePrecision") for layer in layers
                  if layer.find("data") is not None}
    assert result.resolved["precision"] in precisions      # the executed graph, as run


def _fails_in_calibration() -> ov.Model:
    """A conv (so NNCF must run the model to calibrate) feeding a Reshape whose target
    comes from an input: synthetic integers never fit, so calibration inference fails."""
    x = ops.parameter([1, 3, 8, 8], np.float32, name="x")
    target = ops.parameter([2], np.int64, name="target_shape")
    w = ops.constant(np.ones((4, 3, 3, 3), np.float32))
    y = ops.convolution(x, w, [1, 1], [1, 1], [1, 1], [1, 1])
    return ov.Model([ops.reshape(y, target, special_zero=False)], [x, target], "fails")


def test_bad_int8_input(tiny_ir, tmp_path, capsys, cache, monkeypatch):
    failing = save(_fails_in_calibration(), tmp_path / "fails.xml")
    assert main(["run", "-m", tiny_ir, "--quantize", "int8", "--precision", "bf16",
                 "-n", "5"]) == 2
    assert "contradicts --precision bf16" in capsys.readouterr().err
    assert main(["run", "-m", failing, "--quantize", "int8", "--calibration-size", "2",
                 "-n", "5"]) == 1
    err = capsys.readouterr().err
    assert "NNCF could not quantize the model" in err and err.count("\n") == 1
    monkeypatch.setitem(sys.modules, "nncf", None)         # the extra not installed
    assert main(["run", "-m", tiny_ir, "--quantize", "int8", "-n", "5"]) == 2
    assert "pip install 'perfbench[int8]'" in capsys.readouterr().err
    with pytest.raises(UsageError, match="int8 is not supported"):
        BenchmarkConfig(model=tiny_ir, data_shape="[1,32,32,3]", quantize="int8")


def test_json_records_the_shares(tiny_ir, tmp_path):
    out = tmp_path / "r.json"
    assert main(["run", "-m", tiny_ir, "-n", "5", "-q", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert abs(sum(data["executed_precision"].values()) - 1) < 1e-9


def test_an_int8_run_is_measured_against_the_int8_peak(conv_ir, cache):
    from perfbench.measure.peak import store_peak
    store_peak("CPU", "int8", 1e6)
    store_peak("CPU", "bf16", 1.0)          # a wrong ceiling to pick by mistake
    store_peak("CPU", "f32", 1.0)
    result = run(BenchmarkConfig(model=conv_ir, quantize="int8", calibration_size=2,
                                 iterations=20))
    assert result.roofline["precision"] == "int8"
    assert result.roofline["efficiency"] == pytest.approx(result.effective_gflops / 1e6)


def test_the_cache_key_follows_the_input_files_contents(conv_ir, tmp_path, core):
    """Same --input path, new contents: a different calibration, so a different model."""
    from perfbench.model.prepare import prepare_model
    from perfbench.model.quantize import cache_key
    data = tmp_path / "calib.npy"
    config = BenchmarkConfig(model=conv_ir, quantize="int8", input=(str(data),))
    prepared = prepare_model(config, core)
    np.save(data, np.zeros((2, 1, 32, 32, 16), np.float32))
    first = cache_key(prepared, config, "v")
    np.save(data, np.ones((2, 1, 32, 32, 16), np.float32))
    assert cache_key(prepared, config, "v") != first
    assert cache_key(prepared, config, "v") == cache_key(prepared, config, "v")


def test_the_metadata_is_in_place_before_the_ir_appears(conv_ir, tmp_path, core, monkeypatch):
    """A concurrent worker that sees the IR must see its metadata (complete) too: the
    metadata is written atomically first, the IR renamed into place last."""
    from perfbench.model import quantize
    path = tmp_path / "int8" / "k.xml"
    seen = []
    real = quantize.os.replace

    def watching(src, dst):
        if str(dst) == str(path):
            seen.append(json.loads(path.with_suffix(".json").read_text()))
            assert path.with_suffix(".bin").exists()
        real(src, dst)
    monkeypatch.setattr(quantize.os, "replace", watching)
    quantize._store(core.read_model(conv_ir), {"quantize_s": 1.5}, path)
    assert seen == [{"quantize_s": 1.5}]
    assert quantize._from_cache(core, path)[1] == {"quantize_s": 1.5, "cache": "hit"}
