"""Helpers shared by the side-by-side benchmark scripts (run them from the repo root)."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset15 as ops


def tiny_conv_ir(directory: Path) -> str:
    """1×32×32×3 NHWC, one 3×3 conv: per-request overhead dominates its cost."""
    image = ops.parameter([1, 32, 32, 3], np.float32, name="image")
    x = ops.transpose(image, ops.constant(np.array([0, 3, 1, 2], dtype=np.int64)))
    w = np.random.default_rng(0).standard_normal((8, 3, 3, 3)).astype(np.float32)
    y = ops.convolution(x, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1])
    path = directory / "tiny_conv.xml"
    ov.save_model(ov.Model([y], [image], "tiny_conv"), str(path), compress_to_fp16=False)
    return str(path)


def builtin_ir(directory: Path) -> str:
    path = directory / "inception_resnet_v2.xml"
    subprocess.run([sys.executable, "-m", "perfbench", "save-model", str(path)], check=True,
                   capture_output=True)
    return str(path)


def run_perfbench(args: list[str], live: bool = False) -> dict:
    """One ``perfbench run``; ``live``: on a pseudo-terminal with its live view drawing
    (what a user at a terminal gets), drained by a thread, instead of ``-q``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        command = [sys.executable, "-m", "perfbench", "run", *args, "--json", str(out)]
        if not live:
            subprocess.run(command + ["-q"], check=True, capture_output=True)
        else:
            _run_on_terminal(command)
        return json.loads(out.read_text())


def _run_on_terminal(command: list[str]) -> None:
    import os
    import pty
    import threading
    master, slave = pty.openpty()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)

    def drain() -> None:
        while True:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    if proc.wait() != 0:
        raise subprocess.CalledProcessError(proc.returncode, command)
    reader.join(timeout=5)
    os.close(master)


def benchmark_app_binary() -> str:
    found = shutil.which("benchmark_app") or str(Path(sys.executable).parent / "benchmark_app")
    if not Path(found).exists():
        sys.exit("benchmark_app not found (it ships with the openvino wheel)")
    return found


def run_benchmark_app(args: list[str]) -> dict:
    """Run the peer and parse its log: it has no numeric JSON output."""
    proc = subprocess.run([benchmark_app_binary(), *args], check=True, capture_output=True,
                          text=True)
    text = proc.stdout + proc.stderr
    fps = float(re.search(r"Throughput:\s+([\d.]+)\s+FPS", text).group(1))
    value, unit = re.search(r"Median:\s+([\d.]+)\s+(ms|us)", text).groups()
    return {"fps": fps, "median_ms": float(value) / (1000 if unit == "us" else 1)}


def ratio_summary(label: str, ours: list[float], theirs: list[float]) -> float:
    ratios = [a / b for a, b in zip(ours, theirs)]
    median = statistics.median(ratios)
    print(f"  {label}: perfbench/benchmark_app per round "
          f"{', '.join(f'{r:.3f}' for r in ratios)} -> median {median:.3f}")
    return median
