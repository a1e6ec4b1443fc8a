import numpy as np
import pytest

from perfbench.errors import UsageError
from perfbench.model.inputs import SMALL_INT_LIMIT, make_tensors, synthetic_array
from perfbench.model.prepare import InputSpec


def _array(name, kind, shape=(2, 8)):
    return synthetic_array(InputSpec(name, kind, shape), np.random.default_rng(0))


def test_integer_inputs_get_valid_values():
    ids = _array("input_ids", "i64")
    assert ids.dtype == np.int64 and ids.min() >= 0 and ids.max() < SMALL_INT_LIMIT
    assert (_array("attention_mask", "i64") == 1).all()
    assert (_array("token_type_ids", "i32") == 0).all()
    assert (_array("position_ids", "i64")[1] == np.arange(8)).all()


def test_float_and_bool_inputs():
    image = _array("image", "f32", (1, 4, 4, 3))
    assert image.dtype == np.float32 and 0 <= image.min() and image.max() <= 255
    assert _array("flag", "boolean").all()


def test_unsupported_type_names_input():
    with pytest.raises(UsageError, match="input 'text' has element type string"):
        _array("text", "string")


def test_tensors_are_seeded_and_independent_per_request():
    specs = [InputSpec("image", "f32", (1, 4, 4, 3))]
    a, b = make_tensors(specs, seed=1, copies=2)
    again = make_tensors(specs, seed=1, copies=2)
    assert not np.shares_memory(a["image"].data, b["image"].data)
    np.testing.assert_array_equal(a["image"].data, again[0]["image"].data)
    assert not np.array_equal(a["image"].data, b["image"].data)


def test_synthetic_token_data_runs_through_embedding(core, token_ir):
    """Out-of-range ids would make Gather fail; the model must run on what we feed it."""
    from perfbench.settings.config import BenchmarkConfig
    from perfbench.model.prepare import prepare_model
    prepared = prepare_model(BenchmarkConfig(model=token_ir, shape="input_ids[2,16],"
                                             "attention_mask[2,16]"), core)
    (tensors,) = make_tensors(prepared.inputs, seed=0, copies=1)
    request = core.compile_model(prepared.model, "CPU").create_infer_request()
    output = request.infer(tensors)[0]
    assert output.shape == (2, 16, 16) and np.isfinite(output).all()
