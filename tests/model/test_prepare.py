import os

import pytest

from perfbench.settings.config import BenchmarkConfig
from perfbench.errors import UsageError
from perfbench.model.prepare import prepare_model


def test_file_model_cost_from_graph(core, tiny_ir):
    prepared = prepare_model(BenchmarkConfig(model=tiny_ir), core)
    # 3×3 SAME conv, 3 -> 8 channels on 32×32: 2·(8·32·32)·27 FLOPs per image
    assert prepared.gflops_per_image == pytest.approx(2 * 8 * 32 * 32 * 27 / 1e9)
    assert prepared.gflops_source == "graph (conv+matmul)"
    assert prepared.batch == 1
    assert prepared.inputs[0].name == "image" and prepared.inputs[0].shape == (1, 32, 32, 3)


def test_batch_reshapes_and_cost_stays_per_image(core, tiny_ir):
    prepared = prepare_model(BenchmarkConfig(model=tiny_ir, batch=4), core)
    assert prepared.batch == 4 and prepared.inputs[0].shape == (4, 32, 32, 3)
    assert prepared.gflops_per_image == pytest.approx(2 * 8 * 32 * 32 * 27 / 1e9)


def test_user_gflops_overrides_and_is_labelled(core, tiny_ir):
    prepared = prepare_model(BenchmarkConfig(model=tiny_ir, gflops=1.5), core)
    assert prepared.gflops_per_image == 1.5 and prepared.gflops_source == "user (--gflops)"


def test_builtin_uses_card_figure(core):
    prepared = prepare_model(BenchmarkConfig(batch=2), core)
    assert prepared.gflops_per_image == 22.227 and prepared.gflops_source == "model card"
    assert prepared.inputs[0].shape == (2, 299, 299, 3) and prepared.batch == 2


def test_a_dynamic_batch_alone_defaults_to_1_and_says_so(core, dynamic_ir):
    """Almost every ONNX export: [?,224,224,3].  No flag needed; the note names the input."""
    prepared = prepare_model(BenchmarkConfig(model=dynamic_ir), core)
    assert prepared.batch == 1 and prepared.inputs[0].shape == (1, 32, 32, 3)
    assert prepared.notes == ("dynamic batch dimension on image: measured at batch 1 (set it "
                              "with --batch N or --shape)",)
    explicit = prepare_model(BenchmarkConfig(model=dynamic_ir, batch=2), core)
    assert explicit.batch == 2 and explicit.notes == ()


def test_the_dynamic_batch_note_reaches_the_report(dynamic_ir, capsys):
    from perfbench.cli.main import main
    assert main(["run", "-m", dynamic_ir, "-n", "20"]) == 0
    out = capsys.readouterr().out
    assert "dynamic batch dimension on image: measured at batch 1" in " ".join(out.split())


def test_unnamed_shape_on_single_input(core, dynamic_ir):
    prepared = prepare_model(BenchmarkConfig(model=dynamic_ir, shape="[3,32,32,3]"), core)
    assert prepared.inputs[0].shape == (3, 32, 32, 3) and prepared.batch == 3


def test_multi_input_shapes(core, token_ir):
    with pytest.raises(UsageError, match="input 'input_ids' dimension 0 is dynamic"):
        prepare_model(BenchmarkConfig(model=token_ir), core)
    with pytest.raises(UsageError, match="dimension 1 is dynamic"):
        prepare_model(BenchmarkConfig(model=token_ir, batch=1), core)
    prepared = prepare_model(
        BenchmarkConfig(model=token_ir, shape="input_ids[2,16],attention_mask[2,16]"), core)
    assert [s.shape for s in prepared.inputs] == [(2, 16), (2, 16)]
    with pytest.raises(UsageError, match="unknown input 'ids'"):
        prepare_model(BenchmarkConfig(model=token_ir, shape="ids[1,2]"), core)
    with pytest.raises(UsageError, match="single-input model"):
        prepare_model(BenchmarkConfig(model=token_ir, shape="[1,2]"), core)


def test_missing_unreadable_and_garbage_models(core, tmp_path):
    with pytest.raises(UsageError, match="model file not found"):
        prepare_model(BenchmarkConfig(model=str(tmp_path / "nope.xml")), core)
    with pytest.raises(UsageError, match="is a directory"):
        prepare_model(BenchmarkConfig(model=str(tmp_path)), core)
    garbage = tmp_path / "garbage.xml"
    garbage.write_text("this is not a model")
    with pytest.raises(UsageError, match="cannot read model"):
        prepare_model(BenchmarkConfig(model=str(garbage)), core)
    if os.geteuid() != 0:  # root reads everything
        garbage.chmod(0)
        with pytest.raises(UsageError, match="not readable"):
            prepare_model(BenchmarkConfig(model=str(garbage)), core)


def test_shape_not_allowed_for_builtin(core):
    with pytest.raises(UsageError, match="--shape applies to --model"):
        prepare_model(BenchmarkConfig(shape="[1,2]"), core)


def test_a_model_is_named_after_its_file(core, tmp_path):
    """Readers give generic names (ONNX: always "onnx_Frontend_IR"), so two models would
    share one name in tables, history and compare; the file's stem tells them apart."""
    from perfbench.model.prepare import prepare_model
    from perfbench.settings.config import BenchmarkConfig
    from tests.models import conv_model, save
    model = conv_model()
    model.set_friendly_name("onnx_Frontend_IR")
    first = save(model, tmp_path / "resnet_a.xml")
    second = save(model, tmp_path / "resnet_b.xml")
    names = {prepare_model(BenchmarkConfig(model=path), core).name for path in (first, second)}
    assert names == {"resnet_a", "resnet_b"}


def test_a_data_shape_that_shape_inference_rejects_is_one_line(tmp_path, capsys):
    """x [1,?,16] reshaped to a fixed [2,8,16]: any sequence length fits the input's
    partial shape, but only 16 gets through the graph's shape inference."""
    import numpy as np
    import openvino.opset15 as ops
    import openvino as ov
    from perfbench.cli.main import main
    from tests.models import save
    x = ops.parameter([1, -1, 16], np.float32, name="x")
    y = ops.reshape(x, ops.constant(np.array([2, 8, 16], np.int64)), special_zero=False)
    path = save(ov.Model([y], [x], "fixed_reshape"), tmp_path / "fixed.xml")
    assert main(["run", "-m", path, "--data-shape", "[1,16,16][1,8,16]", "-n", "5"]) == 2
    err = capsys.readouterr().err
    assert "--data-shape: the model cannot take x[1,8,16]" in err and err.count("\n") == 1, err


def test_the_exported_builtin_model_has_the_builtin_cost_and_name(core, tmp_path):
    """One definition of the built-in model's cost: the exported IR carries the card's
    22.227 GFLOPs (conv + matmul count 22.14), so compare sees the same model."""
    from perfbench.cli.main import main
    from perfbench.model import builtin
    xml = str(tmp_path / "irv2.xml")
    assert main(["save-model", xml]) == 0
    exported = prepare_model(BenchmarkConfig(model=xml, batch=2), core)
    native = prepare_model(BenchmarkConfig(batch=2), core)
    assert (exported.name, exported.gflops_per_image, exported.gflops_source) == \
        (native.name, native.gflops_per_image, native.gflops_source) == \
        (builtin.MODEL_NAME, builtin.CARD_GFLOPS, "model card")


def test_a_declared_cost_applies_only_at_the_declared_image_shape(core, tmp_path):
    """Reshaped to another image size, the declared figure is not this graph's cost: the
    graph count is used."""
    from perfbench.model.flops import declare_cost
    from tests.models import conv_model, save
    model = conv_model()
    declare_cost(model, "tiny", 1.25)
    path = save(model, tmp_path / "declared.xml")
    same = prepare_model(BenchmarkConfig(model=path, batch=3), core)
    assert (same.name, same.gflops_per_image) == ("tiny", 1.25)
    other = prepare_model(BenchmarkConfig(model=path, shape="[1,16,16,3]"), core)
    assert other.gflops_per_image == pytest.approx(2 * 8 * 16 * 16 * 27 / 1e9)
    assert other.name == "declared" and other.gflops_source == "graph (conv+matmul)"


def test_a_shape_of_the_wrong_rank_says_what_the_model_takes(core, tiny_ir):
    """Issue 24, item 15: OpenVINO's own text ended in "…with friendly_name 'Convolution_4':"."""
    with pytest.raises(UsageError) as caught:
        prepare_model(BenchmarkConfig(model=tiny_ir, shape="[1,32,32]"), core)
    assert str(caught.value).endswith("[1,32,32] has rank 3; the model's input is "
                                      "[1,32,32,3], rank 4")


def test_a_shape_the_graph_rejects_gives_shape_inferences_reason(core, tiny_ir):
    with pytest.raises(UsageError) as caught:
        prepare_model(BenchmarkConfig(model=tiny_ir, shape="[1,32,32,4]"), core)
    message = str(caught.value)
    assert "does not match filter input channel count (3)" in message
    assert "the model's inputs: image [1,32,32,3]" in message
    assert "While validating" not in message and not message.endswith(":")


def test_reading_a_result_file_prints_one_line_and_no_runtime_log(tmp_path, capfd):
    """`run -m base.json` printed the TensorFlow frontend's C++ log (on fd 2) before
    perfbench's line; the line now says what the file is."""
    from perfbench.cli.main import main
    result = tmp_path / "base.json"
    result.write_text('{"schema": "perfbench.result", "schema_version": 2}')
    assert main(["run", "-m", str(result), "-q"]) == 2
    err = capfd.readouterr().err
    assert err.splitlines() == [f"perfbench: error: cannot read model {result}: it is a "
                                "perfbench result, not a model (compare or report read "
                                "results; --model takes IR .xml, .onnx, TensorFlow, TFLite "
                                "or Paddle files)"]


def test_the_runtimes_own_output_is_kept_for_verbose(capfd, caplog):
    import logging
    from perfbench.model.quiet import runtime_output_captured
    with runtime_output_captured("the reader"):
        os.write(2, b"E0000 noise from C++\n")
    assert capfd.readouterr().err == ""
    with caplog.at_level(logging.INFO, logger="perfbench"):
        with runtime_output_captured("the reader"):
            os.write(2, b"E0000 noise from C++\n")
    assert capfd.readouterr().err == ""
    assert "the reader said:\nE0000 noise from C++" in caplog.text
