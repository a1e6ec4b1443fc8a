"""Input data for the requests: arrays from ``.npy``/``.npz`` files, or synthetic data.

Random synthetic inputs can hide data-dependent cost (a real image ran 30× slower than the
peer's fixed random input on OpenVINO's tracker, #26293), so real data can be fed with
``--input``.  Everything is checked before anything is compiled or measured: each model
input gets data (no more, no fewer names), of its element type (a cast only with
``--input-cast``) and its shape, optionally with a leading sample axis.  Several samples
are cycled through the requests.  A directory of JPEG/PNG images is made into samples by
:mod:`perfbench.model.images` (Pillow, the optional extra ``perfbench[images]``).
"""

from __future__ import annotations

import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perfbench.errors import UsageError
from perfbench.model.images import (ImageContext, image_context, image_files,
                                    load_image_samples)
from perfbench.model.prepare import InputSpec, PreparedModel

#: numpy dtypes of OpenVINO element types (a file's dtype must be one of these, or be cast).
NUMPY_TYPES = {"f32": np.float32, "f16": np.float16, "f64": np.float64, "i8": np.int8,
               "u8": np.uint8, "i16": np.int16, "u16": np.uint16, "i32": np.int32,
               "u32": np.uint32, "i64": np.int64, "u64": np.uint64, "boolean": np.bool_}


@dataclass(frozen=True)
class InputData:
    """Per input name, its samples (each exactly the input's shape and type), and where
    they came from, as the result records it."""

    samples: dict[str, list[np.ndarray]]
    described: dict[str, str]

    @property
    def count(self) -> int:
        return max(len(s) for s in self.samples.values())

    def sample(self, name: str, index: int) -> np.ndarray:
        items = self.samples[name]
        return items[index % len(items)]


def load_run_inputs(config, prepared: PreparedModel) -> InputData:
    """The run's ``--input`` data for this model (image directories made with the image
    options and the model's own metadata)."""
    return load_input_data(config.input, prepared.inputs, config.input_cast,
                           image_context(config, prepared))


def load_input_data(sources: tuple[str, ...], specs: tuple[InputSpec, ...],
                    cast: bool, images: ImageContext | None = None) -> InputData:
    """Read and check every source against the model's inputs (one line per problem)."""
    sources, from_images = _image_sources(sources, specs, images or ImageContext())
    raw = _read_sources(sources, {s.name for s in specs})
    for name, origin, array in from_images:
        raw.setdefault(name, []).append((origin, array))
    by_name = {s.name: s for s in specs}
    unknown = sorted(set(raw) - set(by_name))
    if unknown:
        raise UsageError(f"--input: the model has no input {unknown[0]!r} (inputs: "
                         f"{', '.join(by_name)})")
    missing = [name for name in by_name if name not in raw]
    if missing:
        raise UsageError(f"--input: no data for input {missing[0]!r}; give every input "
                         f"({', '.join(by_name)}) its data")
    samples, described = {}, {}
    for name, arrays in raw.items():
        spec = by_name[name]
        samples[name] = [s for origin, array in arrays
                         for s in _samples(array, spec, cast, origin)]
        origins = sorted({origin for origin, _ in arrays})
        described[name] = f"{', '.join(origins)} ({len(samples[name])} sample" \
            f"{'s' if len(samples[name]) != 1 else ''})"
    _check_counts(samples)
    return InputData(samples, described)


def _image_sources(sources: tuple[str, ...], specs: tuple[InputSpec, ...],
                   images: ImageContext) -> tuple[tuple[str, ...], list]:
    """Directories of JPEG/PNG images (and no arrays), as (name, origin, samples); the
    other sources as they were.  Image options without an image directory are refused:
    they would change nothing."""
    rest: list = []
    found: list = []
    for source in sources:
        name, sep, path = source.partition("=")
        if not (sep and name and not os.path.exists(source)):
            name, path = "", source
        if not (image_files(path) and not _array_files(path)):
            rest.append(source)
            continue
        spec = _image_input(name, specs, path)
        array, origin = load_image_samples(path, spec, images.options, images.metadata)
        dtype = NUMPY_TYPES.get(spec.element_type)
        if dtype is None or spec.element_type == "boolean":
            raise UsageError(f"--input {path}: input {spec.name!r} of type "
                             f"{spec.element_type} cannot take images")
        found.append((spec.name, origin, array.astype(dtype)))
    if images.options.given and not found:
        raise UsageError("--input-color/--input-mean/--input-scale/--input-layout apply to "
                         "--input DIR of images; no --input here is one")
    return tuple(rest), found


def _array_files(path: str) -> list[Path]:
    return [p for p in Path(path).iterdir() if p.suffix in (".npy", ".npz")]


def _image_input(name: str, specs: tuple[InputSpec, ...], path: str) -> InputSpec:
    by_name = {s.name: s for s in specs}
    if name:
        if name not in by_name:
            raise UsageError(f"--input: the model has no input {name!r} (inputs: "
                             f"{', '.join(by_name)})")
        return by_name[name]
    if len(specs) != 1:
        raise UsageError(f"--input {path}: images for which input? The model has "
                         f"{len(specs)} ({', '.join(by_name)}): use NAME={path}")
    return specs[0]


def _read_sources(sources: tuple[str, ...], names: set[str]) -> dict[str, list]:
    """name -> [(origin, array)], from NAME=FILE.npy, FILE.npz, FILE.npy (single-input
    models) and directories of those."""
    found: dict[str, list] = {}
    for source in sources:
        name, sep, path = source.partition("=")
        if sep and name and not os.path.exists(source):
            array = _named_npz(path, name) if path.endswith(".npz") else _read_npy(path)
            found.setdefault(name, []).append((path, array))
            continue
        for origin, key, array in _read_path(source, names):
            found.setdefault(key, []).append((origin, array))
    return found


def _read_path(path: str, names: set[str]) -> list[tuple[str, str, np.ndarray]]:
    if os.path.isdir(path):
        files = sorted(p for p in Path(path).iterdir() if p.suffix in (".npy", ".npz"))
        if not files:
            raise UsageError(f"--input: {path} holds no .npy or .npz file, and no .jpg, "
                             ".jpeg or .png image")
        return [item for f in files for item in _read_path(str(f), names)]
    if path.endswith(".npz"):
        return [(path, key, array) for key, array in _read_npz(path).items()]
    if path.endswith(".npy"):
        key = Path(path).stem
        if key not in names and len(names) == 1:
            key = next(iter(names))        # a single-input model takes any file name
        return [(path, key, _read_npy(path))]
    raise UsageError(f"--input: {path} is not a .npy, .npz or directory (use NAME=FILE.npy)")


def _read_npy(path: str) -> np.ndarray:
    if not os.path.isfile(path):
        raise UsageError(f"--input: file not found: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(f"--input: cannot read {path}: {str(exc).splitlines()[0]}") from None


def _read_npz(path: str) -> dict[str, np.ndarray]:
    if not os.path.isfile(path):
        raise UsageError(f"--input: file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise UsageError(f"--input: cannot read {path}: {str(exc).splitlines()[0]}") from None


def _named_npz(path: str, name: str) -> np.ndarray:
    """NAME=FILE.npz: the archive's only array, else its array called NAME.  Several
    arrays are not taken as samples (an .npz maps names to arrays; samples go on one
    array's leading axis), so anything else is an error naming what the file holds."""
    arrays = _read_npz(path)
    if name in arrays:
        return arrays[name]
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    if not arrays:
        raise UsageError(f"--input {name}={path}: the file holds no array")
    raise UsageError(f"--input {name}={path}: the file holds arrays {', '.join(sorted(arrays))} "
                     f"and none is named {name!r}; save one array, or one named {name!r}")


def _samples(array: np.ndarray, spec: InputSpec, cast: bool, origin: str) -> list[np.ndarray]:
    """The input's samples in ``array``: the input's shape, or a leading sample axis."""
    expected = NUMPY_TYPES.get(spec.element_type)
    if expected is None:
        raise UsageError(f"--input: input {spec.name!r} has element type {spec.element_type}, "
                         "which perfbench cannot feed from numpy")
    if array.dtype != expected:
        if not cast:
            raise UsageError(f"--input {origin}: {array.dtype} data for input {spec.name!r} of "
                             f"type {spec.element_type} ({np.dtype(expected).name}); convert "
                             "it, or allow a cast with --input-cast")
        array = array.astype(expected)
    if tuple(array.shape) == spec.shape:
        return [np.ascontiguousarray(array)]
    if array.ndim == len(spec.shape) + 1 and tuple(array.shape[1:]) == spec.shape \
            and array.shape[0] > 0:
        return [np.ascontiguousarray(a) for a in array]
    raise UsageError(f"--input {origin}: shape {list(array.shape)} for input {spec.name!r}, "
                     f"which takes {list(spec.shape)} (or [N, ...] for N samples); set the "
                     "model's shape with --shape or --batch")


def _check_counts(samples: dict[str, list[np.ndarray]]) -> None:
    counts = {name: len(items) for name, items in samples.items()}
    several = {n: c for n, c in counts.items() if c > 1}
    if len(set(several.values())) > 1:
        listed = ", ".join(f"{n}: {c}" for n, c in several.items())
        raise UsageError(f"--input: inputs have different numbers of samples ({listed}); "
                         "give each the same number, or one")


def synthetic_seed(fill: str, seed: int) -> int:
    """``random`` draws a fresh seed (recorded, so the data can be made again)."""
    return secrets.randbelow(2**31) if fill == "random" else seed
