"""``perfbench run --fidelity``: what the configured precision costs in answers.

The model is compiled twice more than nothing: as the reference (f32:
``INFERENCE_PRECISION_HINT`` f32, the model before any quantization) and as configured
(the run's own compiled model, reused).  Both infer the same inputs, the run's own: every
``--input`` sample, or the seeded synthetic fill (the first samples are exactly the
tensors the run's requests hold; ``--fidelity N`` sets how many), and each output is
compared by :mod:`perfbench.stats.fidelity`.  On synthetic inputs the figures are a
numerical fidelity, not an accuracy, and the result says so.

The comparison runs after the timed run, on one request at a time, so it neither slows
nor shares the measured window.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading

import numpy as np
import openvino as ov

from perfbench.errors import RunFailed, UsageError
from perfbench.model.compile import compile_model
from perfbench.model.data import load_run_inputs, synthetic_seed
from perfbench.model.inputs import filled_array
from perfbench.model.prepare import PreparedModel
from perfbench.results.fidelity import REAL_LABEL, SYNTHETIC_LABEL, Fidelity
from perfbench.results.types import BenchmarkResult
from perfbench.settings.config import BenchmarkConfig
from perfbench.stats.fidelity import FidelityError, compare_outputs, stored_outputs
from perfbench.runner.benchmark import log, timed_run
from perfbench.errors import runtime_message

#: Synthetic samples compared when ``--fidelity`` gives no count.
DEFAULT_SAMPLES = 8


def check_fidelity(config: BenchmarkConfig, samples: int | None = None) -> None:
    """Before anything is built: a run that could only compare f32 with f32 is one line."""
    if config.precision == "f32" and config.quantize is None:
        raise UsageError("--fidelity compares the run with f32 and nothing quantized, which "
                         "is what --precision f32 runs: nothing to compare (use --precision "
                         "bf16, f16 or int8, or leave the precision to the device)")
    if config.data_shape is not None:
        raise UsageError("--fidelity compares one shape; drop --data-shape (or use --shape)")
    if samples is not None and config.input:
        raise UsageError(f"--fidelity {samples} sets the number of synthetic samples, but "
                         "--input gives the data: every --input sample is compared; drop "
                         "the count")
    if samples is not None and samples < 1:
        raise UsageError(f"--fidelity: the number of samples must be at least 1 (got {samples})")


def run_with_fidelity(config: BenchmarkConfig, on_window=None,
                      stop_event: threading.Event | None = None,
                      samples: int | None = None) -> BenchmarkResult:
    """:func:`perfbench.runner.benchmark.run`, then the fidelity of what it measured.  A
    stop during the timed run skips the comparison (the measured figures stand)."""
    check_fidelity(config, samples)
    measured = timed_run(config, on_window, stop_event)
    core, original, session, result = (measured.core, measured.original, measured.session,
                                       measured.result)
    if stop_event is not None and stop_event.is_set():
        return _with_warning(result, "stopped before --fidelity: no fidelity figures (the "
                             "measured figures are complete)")
    configured = configured_precision(config, session.compilation.resolved)
    if configured == "f32":
        return _with_warning(result, "--fidelity: the device resolved f32 and nothing is "
                             "quantized, so the run's outputs are the reference's: nothing "
                             "to compare")
    log.info("fidelity: comparing %s with f32", configured)
    try:
        fidelity = measure_fidelity(core, config, original, session.compilation.model,
                                    configured, samples, stop_event)
    except RunFailed as exc:        # the timed run's figures stand: written, then exit 1
        raise FidelityFailed(str(exc), _with_warning(
            result, f"{exc}: no fidelity figures (the measured figures are complete)")
        ) from None
    if fidelity is None:
        return _with_warning(result, "stopped during --fidelity: no fidelity figures (the "
                             "measured figures are complete)")
    return dataclasses.replace(result, fidelity=fidelity)


class FidelityFailed(RunFailed):
    """--fidelity failed after the timed run: ``result`` is what was measured (with a
    warning saying so), for the command to write before it exits 1."""

    def __init__(self, message: str, result: BenchmarkResult) -> None:
        super().__init__(message)
        self.result = result


def _with_warning(result: BenchmarkResult, text: str) -> BenchmarkResult:
    return dataclasses.replace(result, warnings=result.warnings + (text,))


def configured_precision(config: BenchmarkConfig, resolved: dict) -> str:
    """What the run's outputs are made in: int8 when quantized, else what the device
    resolved (bf16 by default on some CPUs)."""
    if config.precision == "int8":
        return "int8"
    return str(resolved.get("precision") or config.precision or "unknown").lower()


def measure_fidelity(core: ov.Core, config: BenchmarkConfig, original: PreparedModel,
                     candidate: ov.CompiledModel, configured: str,
                     samples: int | None = None,
                     stop_event: threading.Event | None = None) -> Fidelity | None:
    """``candidate``'s outputs against the f32 reference of ``original`` (the model before
    quantization) on the run's inputs; None when stopped meanwhile."""
    inputs, kind, seed = fidelity_inputs(original, config, samples)
    reference = compile_model(core, original.model,
                              dataclasses.replace(config, precision="f32", quantize=None))
    ref_out = infer_all(reference.model, inputs, stop_event)
    out = infer_all(candidate, inputs, stop_event)
    if ref_out is None or out is None:
        return None
    try:
        outputs = compare_outputs(ref_out, out)
    except FidelityError as exc:
        raise RunFailed(f"--fidelity: {exc}") from None
    return Fidelity(configured=configured, reference="f32", samples=len(inputs), inputs=kind,
                    label=SYNTHETIC_LABEL if kind == "synthetic" else REAL_LABEL,
                    inputs_digest=inputs_digest(inputs), outputs=outputs, seed=seed,
                    reference_outputs=stored_outputs(ref_out))


def fidelity_inputs(prepared: PreparedModel, config: BenchmarkConfig, samples: int | None
                    ) -> tuple[list[dict[str, np.ndarray]], str, int | None]:
    """The run's own inputs: every ``--input`` sample; else the synthetic fill drawn from
    the run's seed in the run's order (request i's tensors are sample i), ``samples`` of
    them (one for zeros/ones, which are all alike)."""
    specs = prepared.inputs
    if config.input:
        data = load_run_inputs(config, prepared)
        return ([{s.name: data.sample(s.name, i) for s in specs} for i in range(data.count)],
                "--input", None)
    seed = synthetic_seed(config.fill, config.seed)
    count = 1 if config.fill in ("zeros", "ones") else (samples or DEFAULT_SAMPLES)
    rng = np.random.default_rng(seed)
    return ([{s.name: filled_array(s, config.fill, rng) for s in specs} for _ in range(count)],
            "synthetic", seed)


def output_names(compiled: ov.CompiledModel) -> list[str]:
    names = []
    for index, port in enumerate(compiled.outputs):
        try:
            names.append(port.get_any_name())
        except RuntimeError:
            names.append(f"output {index}")
    return names


def infer_all(compiled: ov.CompiledModel, inputs: list[dict[str, np.ndarray]],
              stop_event: threading.Event | None = None) -> dict[str, list[np.ndarray]] | None:
    """Each output's values for each sample, in order, on one request (copied out: the
    request reuses its buffers); None when stopped."""
    request = compiled.create_infer_request()
    names = output_names(compiled)
    found: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for sample in inputs:
        if stop_event is not None and stop_event.is_set():
            return None
        try:
            request.infer(sample)
        except RuntimeError as exc:
            raise RunFailed(f"--fidelity: inference failed: {runtime_message(exc)}") from None
        for port, name in zip(compiled.outputs, names):
            found[name].append(np.array(request.get_tensor(port).data, copy=True))
    return found


def inputs_digest(inputs: list[dict[str, np.ndarray]]) -> str:
    """SHA-256 of every sample, input by input in name order, type and shape included."""
    digest = hashlib.sha256()
    for sample in inputs:
        for name in sorted(sample):
            array = np.ascontiguousarray(sample[name])
            digest.update(f"{name}|{array.dtype}|{array.shape}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()
