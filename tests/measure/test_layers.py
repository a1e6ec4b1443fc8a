import pytest

from perfbench.settings.config import BenchmarkConfig
from perfbench.model.inputs import make_tensors
from perfbench.model.prepare import prepare_model
from perfbench.measure.layers import profile_layers


def test_layers_aggregated_over_every_inference(core, tiny_ir):
    prepared = prepare_model(BenchmarkConfig(model=tiny_ir), core)
    tensors = make_tensors(prepared.inputs, 0, 2)
    layers = profile_layers(core, prepared.model, BenchmarkConfig(model=tiny_ir), tensors,
                            seconds=0.2, min_inferences=25)
    # every layer's total over its per-inference mean is the same count of inferences
    inferences = round(layers[0].total_ms / layers[0].mean_ms)
    assert inferences >= 25
    assert any(layer.type == "Convolution" for layer in layers)
    assert sum(layer.share_pct for layer in layers) == pytest.approx(100)
    assert layers == sorted(layers, key=lambda layer: layer.total_ms, reverse=True)
    for layer in layers:
        assert layer.mean_ms == pytest.approx(layer.total_ms / inferences)
