"""Can perfbench tell a 3 % slower model from an identical one on this machine?

Two conv stacks: BASE (8 × 3×3 conv, 64 ch, 56×56: 1.85 GFLOPs) and NEW (the same plus two
1×1 convs: +2.8 % FLOPs).  Steps, all on the same machine in one run:

1. ``--true-minutes M``: one long interleaved run with no early stop establishes the true
   FPS ratio (the issue asks for at least 10 minutes).
2. ``--experiments N``: N A/A (BASE vs BASE) and N A/B (BASE vs NEW) ``perfbench ab`` runs,
   alternated, each at the defaults (stop when decided, at most ``--max-time``).
3. The baseline of today's method: ``run BASE; run NEW; compare`` (and A/A: ``run BASE``
   twice), N times each with ``--seq-time`` seconds per run.

Run from the repository root: ``python benchmarks/ab_power.py --experiments 20``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset15 as ops


def conv_stack(path: Path, extra: int) -> str:
    x = ops.parameter([1, 64, 56, 56], np.float32, name="x")
    rng = np.random.default_rng(0)
    w3 = ops.constant((rng.standard_normal((64, 64, 3, 3)) / 24).astype(np.float32))
    w1 = ops.constant((rng.standard_normal((64, 64, 1, 1)) / 8).astype(np.float32))
    y = x
    for _ in range(8):
        y = ops.relu(ops.convolution(y, w3, [1, 1], [1, 1], [1, 1], [1, 1]))
    for _ in range(extra):
        y = ops.relu(ops.convolution(y, w1, [1, 1], [0, 0], [0, 0], [1, 1]))
    ov.save_model(ov.Model([y], [x], path.stem), str(path), compress_to_fp16=False)
    return str(path)


def perfbench(*args: str) -> tuple[int, dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        started = time.monotonic()
        code = subprocess.run([sys.executable, "-m", "perfbench", *args, "-q", "--json",
                               str(out)], capture_output=True, text=True).returncode
        return code, json.loads(out.read_text()), time.monotonic() - started


def ab(base: str, new: str, *extra: str) -> dict:
    code, doc, wall = perfbench("ab", base, new, *extra)
    fps = doc["ratios"]["fps"]
    return {"verdict": doc["verdict"], "exit": code, "ratio": fps["ratio"],
            # ab v4 spells the bounds low/high (v3 and before: ci_low/ci_high)
            "low": fps.get("low", fps.get("ci_low")), "high": fps.get("high", fps.get("ci_high")),
            "rounds": sum(len(e["rounds"]) for e in doc["epochs"]),
            "wall_s": wall}


def sequential(base: str, new: str, seconds: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, model in enumerate((base, new)):
            path = str(Path(tmp) / f"{i}.json")
            subprocess.run([sys.executable, "-m", "perfbench", "run", "-m", model, "-t",
                            str(seconds), "-q", "--json", path], check=True,
                           capture_output=True)
            paths.append(path)
        done = subprocess.run([sys.executable, "-m", "perfbench", "compare", *paths, "--json",
                               str(Path(tmp) / "c.json")], capture_output=True, text=True)
        data = json.loads((Path(tmp) / "c.json").read_text())
        return next(m["verdict"] for m in data["metrics"] if m["name"] == "fps") + \
            f" (exit {done.returncode})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--true-minutes", type=float, default=10.0)
    parser.add_argument("--experiments", type=int, default=20)
    parser.add_argument("--max-time", default="120")
    parser.add_argument("--seq-time", type=float, default=15.0)
    parser.add_argument("--sequential", type=int, default=None,
                        help="sequential compare pairs (default: --experiments)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = conv_stack(Path(tmp) / "base.xml", 0)
        new = conv_stack(Path(tmp) / "new.xml", 2)
        if args.true_minutes > 0:
            truth = ab(base, new, "--no-early-stop", "--max-time", str(args.true_minutes * 60))
            print(f"true ratio ({args.true_minutes:g} min interleaved): {truth['ratio']:.4f} "
                  f"[{truth['low']:.4f}, {truth['high']:.4f}], {truth['rounds']} rounds",
                  flush=True)
        for i in range(args.experiments):
            for label, other in (("A/A", base), ("A/B", new)):
                r = ab(base, other, "--max-time", args.max_time)
                print(f"{label} {i + 1}: {r['verdict']:>14} exit {r['exit']} ratio "
                      f"{r['ratio']:.4f} [{r['low']:.4f}, {r['high']:.4f}] {r['rounds']} "
                      f"rounds {r['wall_s']:.0f} s", flush=True)
        for i in range(args.experiments if args.sequential is None else args.sequential):
            print(f"sequential A/A {i + 1}: {sequential(base, base, args.seq_time)}; "
                  f"A/B {i + 1}: {sequential(base, new, args.seq_time)}", flush=True)


if __name__ == "__main__":
    main()
