"""--mean-values/--scale-values/--layout are really applied (issue 24, item 16): a model
that passes its input through shows (x - mean) / scale per channel, on the CPU plugin."""

import numpy as np
import openvino as ov
import openvino.opset15 as ops
import pytest

from perfbench.errors import UsageError
from perfbench.model.prepare import prepare_model
from perfbench.settings.config import BenchmarkConfig
from tests.models import save


def _pass_through(shape, name="x"):
    x = ops.parameter(shape, np.float32, name=name)
    return ov.Model([ops.multiply(x, ops.constant(np.float32(1)))], [x], "through")


@pytest.fixture(scope="module")
def nchw_ir(tmp_path_factory):
    return save(_pass_through([1, 3, 2, 2]), tmp_path_factory.mktemp("pp") / "nchw.xml")


def _run(core, prepared, data):
    compiled = core.compile_model(prepared.model, "CPU")
    return compiled.create_infer_request().infer({0: data})[compiled.output(0)]


def test_mean_then_scale_per_channel_as_benchmark_app(core, nchw_ir):
    prepared = prepare_model(BenchmarkConfig(model=nchw_ir, mean_values="[1,2,3]",
                                             scale_values="[2,4,8]"), core)
    data = np.full((1, 3, 2, 2), 10.0, np.float32)
    out = _run(core, prepared, data)
    expected = np.array([(10 - 1) / 2, (10 - 2) / 4, (10 - 3) / 8], np.float32)
    assert np.allclose(out, expected[None, :, None, None])


def test_the_layout_says_where_the_channel_is(core, tmp_path):
    """On [1,3,3,3] dimension 1 and the last both have 3: --layout NHWC picks the last."""
    path = save(_pass_through([1, 3, 3, 3], "img"), tmp_path / "square.xml")
    prepared = prepare_model(BenchmarkConfig(model=path, mean_values="img[1,2,3]",
                                             layout="img[NHWC]"), core)
    out = _run(core, prepared, np.zeros((1, 3, 3, 3), np.float32))
    assert np.allclose(out, -np.array([1, 2, 3], np.float32)[None, None, None, :])
    assert prepared.model.input(0).get_node().get_layout() == ov.Layout("NHWC")


@pytest.mark.parametrize("settings,message", [
    ({"mean_values": "[1,2,3,4]"}, "no dimension of 4 channels"),
    ({"scale_values": "[1,0,1]"}, "divide by zero"),
    ({"mean_values": "y[1,2,3]"}, "unknown input 'y'"),
    ({"layout": "[QQ!]"}, "not a layout"),
    ({"mean_values": "[a,b,c]"}, "must be numbers")])
def test_bad_preprocessing_is_one_line(core, nchw_ir, settings, message):
    with pytest.raises(UsageError, match=message):
        prepare_model(BenchmarkConfig(model=nchw_ir, **settings), core)


def test_the_built_in_model_refuses_them(core):
    with pytest.raises(UsageError, match="--mean-values applies to --model files"):
        prepare_model(BenchmarkConfig(mean_values="[1,2,3]"), core)


def test_a_run_without_them_keeps_its_configuration_key():
    """Histories store keys: the three later settings at their default leave it as it was
    (the key of a result without them, computed as before they existed)."""
    import hashlib
    import json
    from perfbench.settings.identity import LATER_KEYS, configuration_identity, \
        configuration_key
    from tests.models import synthetic_result
    result = synthetic_result([100.0])
    identity = configuration_identity(result)
    for key in LATER_KEYS:
        identity["settings"].pop(key)
    before = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
    assert configuration_key(result) == before.hexdigest()[:12]
