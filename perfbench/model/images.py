"""``--input DIR`` of JPEG/PNG images: each resized to the model's image input, in its
layout and colour order, with its mean and scale, as input samples.

Images are decoded by Pillow (the optional extra ``perfbench[images]``), never by hand.
What a model expects is taken, in order, from the options (``--input-color``,
``--input-mean``, ``--input-scale``, ``--input-layout``), from the model's own metadata
(OMZ-style ``model_info`` ``mean_values``/``scale_values`` in its rt_info; a conversion
with ``reverse_input_channels`` takes BGR), and else: RGB, mean 0, scale 1 (raw 0–255
pixels).  The built-in model is a converted IR: BGR with its mean and scale folded in, so
raw pixels.  Every value is ``(pixel − mean) / scale``; each image is resized to the input's
height × width (bilinear, no crop), and a batch of B takes B consecutive images (the last
sample wraps around to the first images).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perfbench.errors import UsageError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class ImageOptions:
    """The user's choices; None leaves each to the model's metadata or the default."""

    color: str | None = None
    mean: str | None = None            # "127.5" or "123.7,116.3,103.5"
    scale: str | None = None
    layout: str | None = None

    @classmethod
    def of(cls, config) -> "ImageOptions":
        return cls(config.input_color, config.input_mean, config.input_scale,
                   config.input_layout)

    @property
    def given(self) -> bool:
        return any((self.color, self.mean, self.scale, self.layout))


@dataclass(frozen=True)
class ImageContext:
    """The options and what the model says it expects."""

    options: ImageOptions = ImageOptions()
    metadata: dict | None = None


#: The built-in replica is the converted IR: BGR, its mean and scale folded in.
BUILTIN_METADATA = {"color": "bgr", "source": "the built-in model's converted IR"}


def image_context(config, prepared) -> ImageContext:
    """Only looked at when an ``--input`` is a directory of images."""
    if prepared.source == "built-in":
        metadata = dict(BUILTIN_METADATA)
    else:
        metadata = model_metadata(prepared.model)
    return ImageContext(ImageOptions.of(config), metadata)


@dataclass(frozen=True)
class Preprocessing:
    """What is done to every image, and where each choice came from (recorded)."""

    color: str
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    layout: str
    source: str

    def describe(self) -> str:
        numbers = lambda values: ",".join(f"{v:g}" for v in values)   # noqa: E731
        return (f"{self.color.upper()}, {self.layout.upper()}, mean {numbers(self.mean)}, "
                f"scale {numbers(self.scale)} ({self.source})")


def image_files(path: str) -> list[Path]:
    """The directory's JPEG/PNG files, by name; empty when it is not a directory."""
    directory = Path(path)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def load_image_samples(path: str, spec, options: ImageOptions, metadata: dict | None
                       ) -> tuple[np.ndarray, str]:
    """[samples, *spec.shape] of the directory's images as float32 (the caller casts to
    the input's type), and how they were made."""
    files = image_files(path)
    if not files:
        raise UsageError(f"--input: {path} holds no .jpg, .jpeg or .png image")
    image = _require_pillow()
    prep = preprocessing(spec, options, metadata or {})
    height, width, channels = _geometry(spec.shape, prep.layout, spec.name)
    pictures = [_decoded(image, f, width, height, channels, prep) for f in files]
    batch = spec.shape[0]
    count = -(-len(pictures) // batch)
    samples = []
    for index in range(count):
        chosen = [pictures[(index * batch + k) % len(pictures)] for k in range(batch)]
        stacked = np.stack(chosen)                               # N, H, W, C
        if prep.layout == "nchw":
            stacked = stacked.transpose(0, 3, 1, 2)
        samples.append(stacked)
    made = (f"{path} ({len(files)} image{'s' if len(files) != 1 else ''} → {count} sample"
            f"{'s' if count != 1 else ''} of {height}×{width}, {prep.describe()})")
    return np.stack(samples), made


def _require_pillow():
    try:
        from PIL import Image     # inside: Pillow is the optional extra perfbench[images]
    except ImportError:
        raise UsageError("--input DIR of images needs Pillow: pip install "
                         "'perfbench[images]'") from None
    return Image


def preprocessing(spec, options: ImageOptions, metadata: dict) -> Preprocessing:
    """Each choice from the options, else the model's metadata, else the default."""
    channels_first, channels_last = _channel_axes(spec.shape)
    layout = options.layout
    if layout is None:
        if channels_first == channels_last:
            raise UsageError(f"--input: cannot tell the layout of input {spec.name!r} "
                             f"{list(spec.shape)} (channels first or last?); set "
                             "--input-layout nchw or nhwc")
        layout = "nchw" if channels_first else "nhwc"
    sources = []
    color = options.color or metadata.get("color")
    if options.color is None and metadata.get("color"):
        sources.append(f"colour from {metadata.get('source', 'the model')}")
    mean = _values(options.mean or metadata.get("mean") or "0", "--input-mean")
    scale = _values(options.scale or metadata.get("scale") or "1", "--input-scale")
    if options.mean is None and metadata.get("mean"):
        sources.append("mean from the model")
    if options.scale is None and metadata.get("scale"):
        sources.append("scale from the model")
    if any(s == 0 for s in scale):
        raise UsageError("--input-scale: a scale of 0 divides by zero")
    return Preprocessing(color or "rgb", mean, scale, layout,
                         "; ".join(sources) or ("options" if any(
                             (options.color, options.mean, options.scale)) else "defaults"))


def _channel_axes(shape: tuple[int, ...]) -> tuple[bool, bool]:
    if len(shape) != 4:
        return False, False
    return shape[1] in (1, 3), shape[3] in (1, 3)


def _geometry(shape: tuple[int, ...], layout: str, name: str) -> tuple[int, int, int]:
    if len(shape) != 4:
        raise UsageError(f"--input: input {name!r} {list(shape)} is not an image input "
                         "(rank 4: N, C, H, W or N, H, W, C)")
    height, width, channels = ((shape[2], shape[3], shape[1]) if layout == "nchw"
                               else (shape[1], shape[2], shape[3]))
    if channels not in (1, 3):
        raise UsageError(f"--input: input {name!r} {list(shape)} has {channels} channels in "
                         f"{layout.upper()}; images give 1 or 3")
    return height, width, channels


def _values(text: str, flag: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in str(text).replace(" ", ",").split(",") if v)
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a number or a comma-separated list of "
                         "three") from None
    if len(values) not in (1, 3) or not all(np.isfinite(values)):
        raise UsageError(f"{flag}: {text!r}: give one value or three (one per channel)")
    return values


def _decoded(image_module, path: Path, width: int, height: int, channels: int,
             prep: Preprocessing) -> np.ndarray:
    """H × W × C float32 after resize, colour order, mean and scale."""
    try:
        with image_module.open(path) as picture:
            picture = picture.convert("L" if channels == 1 else "RGB")
            picture = picture.resize((width, height), image_module.BILINEAR)
            pixels = np.asarray(picture, dtype=np.float32)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--input: cannot read image {path}: {str(exc).splitlines()[0]}") \
            from None
    if channels == 1:
        pixels = pixels[..., None]
    elif prep.color == "bgr":
        pixels = pixels[..., ::-1]
    mean = np.asarray(prep.mean[:channels] if len(prep.mean) == 3 else prep.mean, np.float32)
    scale = np.asarray(prep.scale[:channels] if len(prep.scale) == 3 else prep.scale,
                       np.float32)
    return (pixels - mean) / scale


def model_metadata(model) -> dict:
    """Preprocessing the model says it expects: OMZ-style ``model_info`` mean/scale values,
    and BGR when it was converted with ``reverse_input_channels``; {} when it says none."""
    found = {}
    for key, path in (("mean", ["model_info", "mean_values"]),
                      ("scale", ["model_info", "scale_values"])):
        value = _rt_value(model, path)
        if value:
            found[key] = value
    reverse = _rt_value(model, ["conversion_parameters", "reverse_input_channels"]) or \
        _rt_value(model, ["model_info", "reverse_input_channels"])
    if str(reverse).strip().lower() in ("true", "1", "yes"):
        found["color"] = "bgr"
    return found


def _rt_value(model, path: list[str]) -> str | None:
    try:
        if model.has_rt_info(path):
            return str(model.get_rt_info(path).astype(str)).strip("[] ")
    except (RuntimeError, AttributeError):
        return None
    return None
