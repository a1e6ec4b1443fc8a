"""Issue 14: what does INT8 (and bf16) give on this machine, and did it really run?

For the built-in model and a small transformer-like graph (``--model-type transformer``):

1. one ``perfbench run`` per precision (f32, bf16, int8) with ``--roofline``: the share of
   conv + matmul FLOPs per executed precision, the roofline efficiency against that
   precision's peak, and (int8) the time NNCF took, on a fresh quantization cache;
2. interleaved ``perfbench ab`` of bf16 and of int8 against f32 (same model): the FPS and
   p99 ratios with their 95 % intervals, alternating blocks so drift cancels.

    python benchmarks/int8_gain.py [--only builtin|transformer] [--max-time 120]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.models import save, transformer_model  # noqa: E402


def perfbench(*args: str, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        done = subprocess.run([sys.executable, "-m", "perfbench", *args, "-q", "--json",
                               str(out)], capture_output=True, text=True, env=env)
        if not out.exists():
            sys.exit(f"perfbench {' '.join(args)} failed: {done.stderr.strip()[-400:]}")
        return json.loads(out.read_text())


def interval(ratio: dict | None) -> str:
    if not ratio:
        return "n/a"
    return f"{ratio['ratio']:.3f} [{ratio['low']:.3f}, {ratio['high']:.3f}]"


def study(name: str, model: list[str], extra: list[str], max_time: str, env: dict) -> None:
    print(f"== {name}", flush=True)
    for precision in ("f32", "bf16", "int8"):
        data = perfbench("run", *model, *extra, "--precision", precision, "-t", "10",
                         "--roofline", env=env)
        shares = ", ".join(f"{100 * v:.1f} % {p}"
                           for p, v in (data.get("executed_precision") or {}).items())
        roof = data.get("roofline") or {}
        quant = data.get("quantization") or {}
        made = f"; quantized in {quant['quantize_s']:.1f} s" if "quantize_s" in quant else ""
        print(f"  {precision:>4}: {data['results']['fps']:,.1f} FPS, p99 "
              f"{data['results']['latency_ms']['p99']:.2f} ms; ran {shares}; roofline "
              f"{100 * roof.get('efficiency', 0):.1f} % of {roof.get('peak_gflops', 0):,.0f} "
              f"G(FL)OP/s {roof.get('precision', '?')} peak{made}", flush=True)
    target = model[1] if model else "builtin"
    for precision in ("bf16", "int8"):
        doc = perfbench("ab", target, target, *extra, "--base-set", "precision=f32",
                        "--new-set", f"precision={precision}", "--max-time", max_time, env=env)
        ratios = doc["ratios"]
        print(f"  {precision} / f32 (interleaved, {len(doc['rounds'])} rounds): FPS "
              f"{interval(ratios['fps'])}, p99 {interval(ratios['p99_ms'])} "
              f"({doc['verdict']})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("builtin", "transformer"))
    parser.add_argument("--max-time", default="120")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PERFBENCH_CACHE_DIR=os.path.join(tmp, "cache"))
        if args.only in (None, "builtin"):
            study("built-in inception-resnet-v2 replica", [], [], args.max_time, env)
        if args.only in (None, "transformer"):
            path = save(transformer_model(seq=128, width=256, layers=4),
                        Path(tmp) / "transformer.xml")
            study("transformer-like (4 layers, 128 x 256)", ["-m", path],
                  ["--model-type", "transformer"], args.max_time, env)


if __name__ == "__main__":
    main()
