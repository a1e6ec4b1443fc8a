"""INT8 models for ``--quantize int8`` (or ``--precision int8``): NNCF post-training
quantization, on calibration data from ``--input`` or synthetic data of the model's inputs.

NNCF places quantizers by graph pattern, not by data, so synthetic calibration gives INT8
*speed* that is representative; it says nothing about accuracy, and the result says so.
Quantized IRs are cached (``int8`` under :func:`perfbench.model.cache.cache_root`), keyed
by the model's content, the calibration data's content, the NNCF and OpenVINO versions and
the options, so only the first
run pays for quantizing; its time is reported apart from compile time.  NNCF is the
optional extra ``perfbench[int8]``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import openvino as ov

from perfbench.errors import RunFailed, UsageError
from perfbench.files import atomic_write
from perfbench.model.cache import cache_root
from perfbench.model.data import load_run_inputs
from perfbench.model.inputs import filled_array
from perfbench.model.prepare import PreparedModel
from perfbench.settings.config import BenchmarkConfig

ACCURACY_NOTE = ("INT8 accuracy was not measured: calibration used "
                 "{source}; the figures are about speed only")


def cache_dir() -> Path:
    return cache_root() / "int8"


def require_nncf():
    """Checked before anything else runs: a missing extra is one line, naming it."""
    try:
        import nncf       # inside: NNCF is the optional extra perfbench[int8]
    except ImportError:
        raise UsageError("--quantize int8 needs NNCF: pip install 'perfbench[int8]'") from None
    return nncf


def quantized(prepared: PreparedModel, config: BenchmarkConfig, core: ov.Core) -> PreparedModel:
    """``prepared`` with its model replaced by the INT8 one (from the cache when there)."""
    nncf = require_nncf()
    key = cache_key(prepared, config, nncf.__version__)
    path = cache_dir() / f"{key}.xml"
    notes = list(prepared.notes)
    info = _from_cache(core, path)
    if info is None and path.exists():
        notes.append(f"the cached INT8 model {path} was unreadable: quantized again")
    if info is None:
        info = _quantize_and_store(nncf, prepared, config, path)
    model, record = info
    source = "--input data" if config.input else f"{config.calibration_size} synthetic samples"
    notes.append(ACCURACY_NOTE.format(source=source))
    record = dict(record, tool="nncf", nncf=nncf.__version__, openvino=ov.get_version(),
                  calibration=source, model_type=config.model_type, cache_key=key,
                  accuracy_measured=False)
    return dataclasses.replace(prepared, model=model, notes=tuple(notes), quantization=record)


def cache_key(prepared: PreparedModel, config: BenchmarkConfig, nncf_version: str) -> str:
    """Content hash of the (reshaped) model and of the ``--input`` calibration data (not
    its paths: a file rewritten in place is other data), plus everything else that changes
    what NNCF makes."""
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory() as tmp:
        ov.save_model(prepared.model, os.path.join(tmp, "m.xml"), compress_to_fp16=False)
        for name in ("m.xml", "m.bin"):
            with open(os.path.join(tmp, name), "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    if config.input:
        _hash_input_data(digest, load_run_inputs(config, prepared))
    options = {"nncf": nncf_version, "openvino": ov.get_version(),
               "calibration_size": config.calibration_size, "model_type": config.model_type,
               "input": bool(config.input), "seed": config.seed, "fill": config.fill}
    digest.update(json.dumps(options, sort_keys=True).encode())
    return digest.hexdigest()[:20]


def _hash_input_data(digest, data) -> None:
    """Every sample as calibration sees it (after any --input-cast), in order."""
    for name in sorted(data.samples):
        for sample in data.samples[name]:
            digest.update(f"{name}|{sample.dtype}|{sample.shape}".encode())
            digest.update(np.ascontiguousarray(sample).tobytes())


def _from_cache(core: ov.Core, path: Path):
    meta = path.with_suffix(".json")
    if not (path.exists() and meta.exists()):
        return None
    try:
        record = json.loads(meta.read_text())
        model = core.read_model(str(path))
    except (OSError, ValueError, RuntimeError):
        return None
    return model, dict(record, cache="hit")


def _quantize_and_store(nncf, prepared: PreparedModel, config: BenchmarkConfig, path: Path):
    dataset = nncf.Dataset(calibration_samples(prepared, config))
    model_type = nncf.ModelType.TRANSFORMER if config.model_type == "transformer" else None
    started = time.perf_counter()
    try:
        model = nncf.quantize(prepared.model, dataset, subset_size=config.calibration_size,
                              model_type=model_type)
    except Exception as exc:          # NNCF raises many kinds; its message is the answer
        message = str(exc).strip().splitlines()
        raise RunFailed(f"NNCF could not quantize the model: "
                        f"{(message[0] if message else type(exc).__name__)[:300]}") from None
    record = {"quantize_s": time.perf_counter() - started,
              "calibration_samples": config.calibration_size}
    _store(model, record, path)
    return model, dict(record, cache="miss")


def _store(model: ov.Model, record: dict, path: Path) -> None:
    """Written beside the final name, then renamed: a crash never leaves half an IR that
    a later run would read as the cached model.  The metadata goes first (atomically) and
    the IR's ``.xml`` last, so a concurrent worker that sees the IR sees it complete, with
    its metadata (the key is a content hash: a racing writer stores the same files)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(str(path.with_suffix(".json")), json.dumps(record))
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            ov.save_model(model, os.path.join(tmp, "m.xml"), compress_to_fp16=False)
            os.replace(os.path.join(tmp, "m.bin"), path.with_suffix(".bin"))
            os.replace(os.path.join(tmp, "m.xml"), path)
    except OSError:
        pass                          # no cache: the run goes on, the next one quantizes again


def calibration_samples(prepared: PreparedModel, config: BenchmarkConfig) -> list[dict]:
    """``--input`` samples when given (cycled up to the calibration size), else synthetic
    data of the model's input shapes and types, as the run fills its requests."""
    specs = prepared.inputs
    if config.input:
        data = load_run_inputs(config, prepared)
        return [{s.name: data.sample(s.name, i) for s in specs}
                for i in range(config.calibration_size)]
    rng = np.random.default_rng(config.seed)
    fill = "seeded" if config.fill in ("seeded", "random") else config.fill
    return [{s.name: filled_array(s, fill, rng) for s in specs}
            for _ in range(config.calibration_size)]
