import numpy as np
import pytest

from perfbench.model import builtin as builtin_model
from perfbench.model.flops import graph_flops
from tests.models import count_parameters


@pytest.fixture(scope="module")
def model():
    return builtin_model.build_model(batch=1)


def test_parameter_count_matches_model_card(model):
    """30.223 M: the Open Model Zoo card's figure for the converted model."""
    params_m = count_parameters(model) / 1e6
    assert params_m == pytest.approx(30.223, rel=5e-4)


def test_conv_matmul_cost_matches_reference(model):
    assert graph_flops(model) / 1e9 == pytest.approx(22.14, rel=5e-3)


def test_input_and_output(model):
    (param,) = model.inputs
    assert param.get_any_name() == "input"
    assert list(param.get_shape()) == [1, 299, 299, 3]
    assert param.get_element_type().get_type_name() == "f32"
    assert list(model.output(0).get_shape()) == [1, 1001]


def test_batch_scales_shape_not_cost_per_image():
    model = builtin_model.build_model(batch=3)
    assert list(model.input(0).get_shape()) == [3, 299, 299, 3]
    assert list(model.output(0).get_shape()) == [3, 1001]
    assert graph_flops(model) / 3 == graph_flops(builtin_model.build_model(batch=1))


def test_stage_shapes_follow_the_layer_table(model):
    """Spot-check the feature map after each stage by the concat/add outputs' shapes."""
    shapes = {tuple(op.get_output_shape(0)) for op in model.get_ordered_ops()
              if op.get_type_name() in ("Concat", "MaxPool")}
    assert (1, 64, 73, 73) in shapes       # MaxPool_3a
    assert (1, 192, 35, 35) in shapes      # MaxPool_5a
    assert (1, 320, 35, 35) in shapes      # Mixed_5b
    assert (1, 1088, 17, 17) in shapes     # Mixed_6a
    assert (1, 384, 17, 17) in shapes      # Block17 branch concat


def test_same_seed_same_weights_and_finite_output(core):
    compiled = core.compile_model(builtin_model.build_model(seed=7), "CPU",
                                  {"INFERENCE_PRECISION_HINT": "f32"})
    image = np.random.default_rng(0).uniform(0, 255, (1, 299, 299, 3)).astype(np.float32)
    first = compiled(image)[0]
    again = core.compile_model(builtin_model.build_model(seed=7), "CPU",
                               {"INFERENCE_PRECISION_HINT": "f32"})(image)[0]
    assert np.isfinite(first).all() and np.abs(first).max() > 0
    np.testing.assert_array_equal(first, again)
