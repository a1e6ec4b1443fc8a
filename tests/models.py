"""Tiny real model factories, shared by fixtures and tests."""

from __future__ import annotations

import numpy as np
import openvino as ov
import openvino.opset15 as ops


def conv_model(size: int = 32, channels: int = 3, filters: int = 8, batch=1) -> ov.Model:
    """NHWC image → one 3×3 conv: the 'per-request overhead dominates' model."""
    image = ops.parameter([batch, size, size, channels], np.float32, name="image")
    x = ops.transpose(image, ops.constant(np.array([0, 3, 1, 2], dtype=np.int64)))
    w = np.random.default_rng(0).standard_normal((filters, channels, 3, 3)).astype(np.float32)
    y = ops.convolution(x, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1])
    return ov.Model([ops.relu(y)], [image], "tiny_conv")


def token_model(vocab: int = 100) -> ov.Model:
    """Two dynamic int64 inputs (ids, mask) through an embedding lookup: ids out of range
    would make Gather fail, so it checks the synthetic data too."""
    ids = ops.parameter([-1, -1], np.int64, name="input_ids")
    mask = ops.parameter([-1, -1], np.int64, name="attention_mask")
    table = np.random.default_rng(0).standard_normal((vocab, 16)).astype(np.float32)
    emb = ops.gather(ops.constant(table), ids, ops.constant(np.int64(0)))
    weights = ops.unsqueeze(ops.convert(mask, np.float32), ops.constant(np.int64(-1)))
    return ov.Model([ops.multiply(emb, weights)], [ids, mask], "tiny_tokens")


def save(model: ov.Model, path) -> str:
    ov.save_model(model, str(path), compress_to_fp16=False)
    return str(path)


def failing_model() -> ov.Model:
    """Reshape to a shape read from an input: synthetic integers never match 12 elements,
    so the CPU plugin raises at inference time — a real runtime failure, not a mock."""
    x = ops.parameter([1, 12], np.float32, name="x")
    shape = ops.parameter([2], np.int64, name="target_shape")
    return ov.Model([ops.reshape(x, shape, special_zero=False)], [x, shape], "fails")


def synthetic_result(trial_fps, p99=10.0, model="m", threads=None, status="complete",
                     cpu="test cpu", window_fps=None):
    """A typed result with chosen numbers, for compare/history/exporter tests whose
    verdicts must be known in advance (read through the same reader as a file)."""
    from perfbench.results import from_document
    return from_document(synthetic_document(trial_fps, p99, model, threads, status, cpu,
                                            window_fps), "synthetic")


def synthetic_document(trial_fps, p99=10.0, model="m", threads=None, status="complete",
                       cpu="test cpu", window_fps=None) -> dict:
    """The JSON document of :func:`synthetic_result`.  Each trial lasts 10 s, so FPS is the
    trials' mean; latency percentiles scale inversely with FPS so that a slower run is
    slower everywhere."""
    from perfbench.results.types import SCHEMA
    completed = round(sum(f * 10 for f in trial_fps))
    fps = completed / (10.0 * len(trial_fps))
    trials = [{"duration_s": 10.0, "completed_requests": int(f * 10), "fps": f,
               "steady_fps": f, "latency_median_ms": 1000 / f, "latency_p90_ms": 1100 / f,
               "latency_p99_ms": p99 * 100 / f, "stop_reason": "time"} for f in trial_fps]
    windows = [{"start_s": float(i), "end_s": float(i + 1), "completed": int(f),
                "latency_median_ms": 1000 / f, "latency_p90_ms": 1100 / f,
                "latency_p99_ms": p99 * 100 / f, "trial": 0, "fps": f}
               for i, f in enumerate(window_fps or [])]
    return {
        "schema": SCHEMA, "schema_version": 1, "status": status,    # no latency histogram
        "stop_reason": "time",
        "model": {"name": model, "source": "built-in", "inputs": [], "batch": 1,
                  "gflops_per_image": 2.0, "gflops_source": "model card"},
        "config": {"requested": {"device": "CPU", "hint": "throughput", "threads": threads},
                   "resolved": {}, "pool_size": 2},
        "results": {"fps": fps, "steady_fps": fps, "images": completed,
                    "completed_requests": completed, "duration_s": 10.0 * len(trial_fps),
                    "effective_gflops": 2.0 * fps,
                    "latency_ms": {"count": int(completed), "min": 500 / fps, "mean": 1000 / fps,
                                   "std": 100 / fps, "median": 1000 / fps, "p90": 1100 / fps,
                                   "p95": 1200 / fps, "p99": p99 * 100 / fps,
                                   "p99_9": p99 * 110 / fps, "max": p99 * 120 / fps}},
        "precision": None, "trials": trials if len(trials) > 1 else [], "timeline": windows,
        "environment": {"cpu": cpu, "cpu_logical_cores": 2, "openvino": "x",
                        "timestamp": "2026-11-25T00:00:00+00:00"},
    }


def slow_model(layers: int = 12) -> ov.Model:
    """A chain of 3×3 convolutions (shared weights) taking a few milliseconds per inference:
    slow enough that a modest request rate saturates one request."""
    x = ops.parameter([1, 32, 64, 64], np.float32, name="x")
    w = ops.constant((np.random.default_rng(0).standard_normal((32, 32, 3, 3)) / 100)
                     .astype(np.float32))
    y = x
    for _ in range(layers):
        y = ops.relu(ops.convolution(y, w, [1, 1], [1, 1], [1, 1], [1, 1]))
    return ov.Model([y], [x], "slow_chain")


class FakeClock:
    """A clock that advances ``step`` seconds each time it is read.

    The measuring loops read the clock once per completed request, so under this clock a
    window holds a fixed number of completions however fast or noisy the machine is: the
    code paths that depend on time (windows, stop rules, deadlines) become deterministic."""

    def __init__(self, step: float = 1e-3):
        self.step, self.now = step, 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def count_parameters(model: ov.Model) -> int:
    """Learned weights: constants feeding a conv/matmul weight port or a bias Add."""
    total = 0
    for op in model.get_ordered_ops():
        if op.get_type_name() in ("Convolution", "MatMul", "Add"):
            for port in op.inputs():
                src = port.get_source_output().get_node()
                if src.get_type_name() == "Constant" and src.get_output_size() == 1:
                    shape = src.get_output_shape(0)
                    if len(shape) >= 1 and int(np.prod(shape)) > 1:
                        total += int(np.prod(shape))
    return total


def affine_model(shape=(2, 3)) -> ov.Model:
    """y = 2x + 1: simple enough to check an output against numpy by hand."""
    x = ops.parameter(list(shape), np.float32, name="x")
    y = ops.add(ops.multiply(x, ops.constant(np.float32(2))), ops.constant(np.float32(1)))
    return ov.Model([y], [x], "affine")


def sum_model(shape=(1, 4)) -> ov.Model:
    """y = a + b over two f32 inputs: checks that each input gets its own array."""
    a = ops.parameter(list(shape), np.float32, name="a")
    b = ops.parameter(list(shape), np.float32, name="b")
    return ov.Model([ops.add(a, b)], [a, b], "sum")


def sequence_model(features: int = 16, hidden: int = 32) -> ov.Model:
    """x [1, ?, features] → MatMul [features, hidden]: 2·seq·features·hidden FLOPs, so the
    cost grows with the sequence length exactly as the graph says."""
    x = ops.parameter([1, -1, features], np.float32, name="x")
    w = np.random.default_rng(0).standard_normal((features, hidden)).astype(np.float32)
    return ov.Model([ops.relu(ops.matmul(x, ops.constant(w), False, False))], [x], "sequence")


def transformer_model(seq: int = 128, width: int = 256, layers: int = 2) -> ov.Model:
    """A small encoder-like graph: per layer, Q/K/V projections, softmax attention, an
    output projection and a 4x MLP, with residuals: what NNCF's transformer type is for."""
    rng = np.random.default_rng(0)

    def dense(x, fan_in, fan_out):
        w = (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32)
        return ops.matmul(x, ops.constant(w), False, False)

    x = ops.parameter([1, seq, width], np.float32, name="hidden")
    y = x
    for _ in range(layers):
        q, k, v = (dense(y, width, width) for _ in range(3))
        scores = ops.multiply(ops.matmul(q, k, False, True),
                              ops.constant(np.float32(1 / np.sqrt(width))))
        attended = dense(ops.matmul(ops.softmax(scores, -1), v, False, False), width, width)
        y = ops.add(y, attended)
        y = ops.add(y, dense(ops.relu(dense(y, width, 4 * width)), 4 * width, width))
    return ov.Model([y], [x], "tiny_transformer")
