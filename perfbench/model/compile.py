"""Compile a model for a device and read back what the device really chose.

Explicit streams/threads are passed *together with* the hint: OpenVINO lets explicit
properties override the hint's defaults, and reporting the resolved values shows the user
which ones won.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import openvino as ov

from perfbench.settings.config import BenchmarkConfig
from perfbench.errors import RunFailed, UsageError, runtime_message

VIRTUAL_DEVICES = ("AUTO", "MULTI", "HETERO", "BATCH")
_HINTS = {"throughput": "THROUGHPUT", "latency": "LATENCY",
          "cumulative_throughput": "CUMULATIVE_THROUGHPUT"}
_PRECISIONS = {"f32": ov.Type.f32, "bf16": ov.Type.bf16, "f16": ov.Type.f16}
#: Properties read back after compiling, under the names the report uses.
RESOLVED_PROPERTIES = {
    "hint": "PERFORMANCE_HINT",
    "streams": "NUM_STREAMS",
    "optimal_requests": "OPTIMAL_NUMBER_OF_INFER_REQUESTS",
    "threads": "INFERENCE_NUM_THREADS",
    "precision": "INFERENCE_PRECISION_HINT",
    "pinning": "ENABLE_CPU_PINNING",
    "execution_devices": "EXECUTION_DEVICES",
}


@dataclass(frozen=True)
class Compilation:
    """A compiled model with how long compiling took and what the device resolved."""

    model: ov.CompiledModel
    compile_ms: float
    resolved: dict[str, Any]


def check_device(core: ov.Core, device: str) -> None:
    """Fail early, listing what exists, instead of letting compile raise a C++ trace."""
    available = core.available_devices
    head = device.split(":", 1)[0].upper()
    if head in VIRTUAL_DEVICES:
        targets = device.split(":", 1)[1].split(",") if ":" in device else []
    else:
        targets = [device]
    known = set(available) | {d.split(".")[0] for d in available}
    for target in targets:
        if target and target not in known and target.split(".")[0] not in known:
            raise UsageError(f"unknown device {target!r}; available: "
                             f"{', '.join(available) or 'none'} (and {', '.join(VIRTUAL_DEVICES)})")


def compile_properties(config: BenchmarkConfig) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if config.hint != "none":
        props["PERFORMANCE_HINT"] = _HINTS[config.hint]
    if config.streams is not None:
        props["NUM_STREAMS"] = "AUTO" if config.streams == "AUTO" else str(config.streams)
    if config.threads is not None:
        props["INFERENCE_NUM_THREADS"] = config.threads
    if config.pin is not None:
        props["ENABLE_CPU_PINNING"] = config.pin
    if config.precision in _PRECISIONS:      # int8 is the model's (quantized) own
        props["INFERENCE_PRECISION_HINT"] = _PRECISIONS[config.precision]
    return props


def compile_model(core: ov.Core, model: ov.Model, config: BenchmarkConfig,
                  extra: dict[str, Any] | None = None) -> Compilation:
    """Compile for ``config.device`` (checked beforehand with :func:`check_device`).  A
    failure here is the device's or the runtime's, not the user's input: exit 1."""
    if config.cache_dir is not None:
        _check_cache_dir(config.cache_dir)
        core.set_property({"CACHE_DIR": config.cache_dir})
    started = time.perf_counter()
    try:
        compiled = core.compile_model(model, config.device,
                                      {**compile_properties(config), **(extra or {})})
    except RuntimeError as exc:
        raise RunFailed(f"cannot compile for {config.device}: {runtime_message(exc)}") from None
    compile_ms = (time.perf_counter() - started) * 1e3
    return Compilation(compiled, compile_ms, read_resolved(compiled))


#: Requested settings a device may override, and the resolved name each comes back under.
_OVERRIDABLE = {"precision": "precision", "streams": "streams", "threads": "threads",
                "pin": "pinning"}


def overrides(config: BenchmarkConfig, resolved: dict[str, Any]) -> list[str]:
    """Requests the device did not follow (``--precision f16`` run in bf16 on a CPU without
    f16 kernels, ``--threads`` above its cores): one warning each, since the figures are
    for what it resolved, not for what was asked.  AUTO, int8 (the model's own, not a
    device property) and properties a device does not report are not requests to check."""
    found = []
    for key, name in _OVERRIDABLE.items():
        asked, got = getattr(config, key), resolved.get(name)
        if asked is None or asked in ("AUTO", "int8") or got is None or asked == got:
            continue
        found.append(f"requested {key} {_property_text(asked)}, but the device resolved "
                     f"{_property_text(got)}: the figures are for what it resolved")
    return found


def _property_text(value: Any) -> str:
    """A device property as OpenVINO spells it in its configuration (booleans lower-case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def read_resolved(compiled: ov.CompiledModel) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for name, key in RESOLVED_PROPERTIES.items():
        try:
            resolved[name] = plain_value(compiled.get_property(key))
        except Exception:  # not every device exposes every property
            continue
    return resolved


def plain_value(value: Any) -> Any:
    """Turn OpenVINO enums/types into JSON-friendly values."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, ov.Type):
        return value.get_type_name()
    text = str(value)
    return text.split(".")[-1] if "." in text else text


def _check_cache_dir(path: str) -> None:
    """A cache directory that cannot be made is the user's input, not a device failure."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--cache-dir: cannot create {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"--cache-dir: {path} is not writable")
