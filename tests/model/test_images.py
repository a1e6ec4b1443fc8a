"""``--input DIR`` of images: decoded by Pillow, resized, in the model's layout and colour
order, with mean and scale; one line for a directory without images."""

from __future__ import annotations

import numpy as np
import openvino as ov
import openvino.opset15 as ops
import pytest
from PIL import Image

from perfbench.errors import UsageError
from perfbench.model.data import load_input_data, load_run_inputs
from perfbench.model.images import ImageContext, ImageOptions, image_context, model_metadata
from perfbench.model.prepare import InputSpec, PreparedModel
from perfbench.runner.fidelity import run_with_fidelity
from perfbench.settings.config import BenchmarkConfig
from tests.classifier_models import classifier_model
from tests.models import save

NCHW = InputSpec("image", "f32", (1, 3, 4, 4))
NHWC = InputSpec("image", "f32", (1, 4, 4, 3))


def _images(directory, colours, size=(8, 8), suffix=".png"):
    directory.mkdir(exist_ok=True)
    for index, colour in enumerate(colours):
        Image.new("RGB", size, colour).save(directory / f"{index:02d}{suffix}")
    return str(directory)


def _load(path, spec=NCHW, **options):
    return load_input_data((path,), (spec,), False, ImageContext(ImageOptions(**options)))


def test_a_red_image_in_rgb_nchw_with_mean_and_scale(tmp_path):
    path = _images(tmp_path / "red", [(255, 0, 0)])
    data = _load(path, mean="127.5", scale="127.5")
    sample = data.samples["image"][0]
    assert sample.shape == (1, 3, 4, 4) and sample.dtype == np.float32
    np.testing.assert_array_equal(sample[0, 0], np.ones((4, 4)))       # (255 − 127.5)/127.5
    np.testing.assert_array_equal(sample[0, 1:], -np.ones((2, 4, 4)))
    assert "1 image → 1 sample of 4×4, RGB, NCHW, mean 127.5, scale 127.5" in \
        data.described["image"]


def test_bgr_reverses_the_channels_and_nhwc_keeps_them_last(tmp_path):
    path = _images(tmp_path / "red", [(255, 0, 0)])
    sample = _load(path, NHWC, color="bgr").samples["image"][0]
    assert sample.shape == (1, 4, 4, 3)
    np.testing.assert_array_equal(sample[0, 0, 0], [0, 0, 255])
    per_channel = _load(path, mean="10,20,30").samples["image"][0]
    np.testing.assert_array_equal(per_channel[0, :, 0, 0], [245, -20, -30])


def test_a_batch_takes_consecutive_images_and_the_last_sample_wraps(tmp_path):
    path = _images(tmp_path / "three", [(10, 0, 0), (20, 0, 0), (30, 0, 0)])
    samples = _load(path, InputSpec("image", "f32", (2, 3, 4, 4))).samples["image"]
    assert [list(s[:, 0, 0, 0]) for s in samples] == [[10, 20], [30, 10]]


def test_jpeg_images_are_read_too(tmp_path):
    path = _images(tmp_path / "jpeg", [(200, 100, 50)], suffix=".jpg")
    sample = _load(path).samples["image"][0]
    assert np.allclose(sample[0, :, 0, 0], [200, 100, 50], atol=3)   # JPEG is lossy


def test_a_directory_without_images_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images")
    with pytest.raises(UsageError) as info:
        _load(str(tmp_path / "empty"))
    assert str(info.value) == (f"--input: {tmp_path / 'empty'} holds no .npy or .npz file, "
                               "and no .jpg, .jpeg or .png image")


def test_images_need_to_know_which_input_and_layout(tmp_path):
    path = _images(tmp_path / "red", [(255, 0, 0)])
    two = (NCHW, InputSpec("other", "f32", (1, 3)))
    with pytest.raises(UsageError, match="images for which input"):
        load_input_data((path,), two, False, ImageContext())
    assert load_input_data((f"image={path}",), two[:1], False, ImageContext()).count == 1
    square = InputSpec("image", "f32", (1, 3, 4, 3))              # C=3 first or last?
    with pytest.raises(UsageError, match="--input-layout"):
        _load(path, square)
    assert _load(path, square, layout="nhwc").samples["image"][0].shape == (1, 3, 4, 3)


def test_image_options_without_an_image_directory_are_one_line(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 4, 4), np.float32))
    with pytest.raises(UsageError, match="apply to --input DIR of images"):
        _load(str(tmp_path / "x.npy"), mean="1")
    with pytest.raises(UsageError, match="apply to --input DIR of images"):
        BenchmarkConfig(input_mean="127.5")


def test_the_model_says_its_mean_scale_and_colour_order(tmp_path):
    image = ops.parameter([1, 3, 4, 4], np.float32, name="image")
    model = ov.Model([ops.relu(image)], [image], "m")
    model.set_rt_info("127.5 127.5 127.5", ["model_info", "mean_values"])
    model.set_rt_info("127.5", ["model_info", "scale_values"])
    model.set_rt_info("True", ["conversion_parameters", "reverse_input_channels"])
    assert model_metadata(model) == {"mean": "127.5 127.5 127.5", "scale": "127.5",
                                     "color": "bgr"}
    path = _images(tmp_path / "red", [(255, 0, 0)])
    data = load_input_data((path,), (NCHW,), False,
                           ImageContext(ImageOptions(), model_metadata(model)))
    np.testing.assert_array_equal(data.samples["image"][0][0, :, 0, 0], [-1, -1, 1])
    assert "mean from the model" in data.described["image"]


def test_the_builtin_model_takes_bgr_raw_pixels(tmp_path):
    prepared = PreparedModel(None, "x", "built-in", (NHWC,), 1, 1.0, "card")
    context = image_context(BenchmarkConfig(), prepared)
    path = _images(tmp_path / "red", [(255, 0, 0)])
    sample = load_input_data((path,), (NHWC,), False, context).samples["image"][0]
    np.testing.assert_array_equal(sample[0, 0, 0], [0, 0, 255])


def test_run_fidelity_on_a_directory_of_images(tmp_path):
    model = save(classifier_model(batch=1), tmp_path / "c.xml")
    path = _images(tmp_path / "pics", [(255, 0, 0), (0, 255, 0), (0, 0, 255), (90, 90, 9)],
                   size=(20, 24))
    # int8, which every CPU runs below f32 (bf16 resolves to f32 on an AVX2 machine, and a
    # run there has nothing to compare)
    config = BenchmarkConfig(model=model, precision="int8", calibration_size=4, iterations=10,
                             input=(path,))
    assert load_run_inputs(config, PreparedModel(None, "c", model,
                                                 (InputSpec("image", "f32", (1, 3, 16, 16)),),
                                                 1, 1.0, "graph")).count == 4
    fidelity = run_with_fidelity(config).fidelity
    assert fidelity.samples == 4 and fidelity.inputs == "--input"
    assert fidelity.output("logits").rows == 4
