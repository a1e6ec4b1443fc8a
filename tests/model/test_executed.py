"""Which precision really ran, read from the runtime graph of real compiled models."""

import openvino as ov

from perfbench.model.executed import executed_precision, shortfall
from perfbench.model.prepare import prepare_model
from perfbench.model.compile import compile_model
from perfbench.settings.config import BenchmarkConfig
from tests.models import conv_model


def test_weights_stored_in_f16_run_in_f32_are_f32(core, tmp_path):
    """The converter's default IR keeps weights in FP16 (Constant f16 → Convert); the CPU
    plugin's runtimePrecision of the conv then says f16 while its kernel is brgconv_*_f32.
    Stored weight precision is not executed precision: the data's is."""
    path = str(tmp_path / "f16w.xml")
    ov.save_model(conv_model(size=32, channels=16, filters=32), path, compress_to_fp16=True)
    config = BenchmarkConfig(model=path, precision="f32")
    prepared = prepare_model(config, core)
    compiled = compile_model(core, prepared.model, config)
    shares = executed_precision(compiled.model, prepared.model)
    assert shares == {"f32": 1.0}
    assert shortfall(shares, "f32") is None
