"""``ab --attribute``'s pass on known causes, repeated: is the cause named first, do the
contributions sum to the total, does an A/A flag any node beyond the family level?

Cases (tiny models, so each pass takes seconds; ``tests/models.py``):

* ``precision``: a 4-conv chain, BASE ``precision=bf16``, NEW ``precision=f32`` (needs a
  CPU with bf16; the cause: the convolutions' precision bf16 → f32);
* ``extra``: a small conv, NEW with six 128×128 FullyConnected nodes added (the cause:
  nodes present in NEW only);
* ``aa``: the 4-conv chain against itself (no cause: no row's interval should exclude 0,
  beyond the 5 % family level).

Run from the repository root, e.g.
``python benchmarks/attribution_check.py precision --runs 5`` (4 epochs of 3 rounds); it prints one
line per run and a summary.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfbench.runner.attribute import attribution, profile_pass
from perfbench.settings.config import BenchmarkConfig
from tests.models import save, slow_model
from tests.runner.test_attribute import _model


def _case(name: str, root: Path) -> tuple[dict, dict]:
    chain = save(slow_model(4), root / "chain.xml")
    if name == "precision":
        return (BenchmarkConfig(model=chain, precision="bf16").to_dict(),
                BenchmarkConfig(model=chain, precision="f32").to_dict())
    if name == "extra":
        return (BenchmarkConfig(model=save(_model(False), root / "plain.xml")).to_dict(),
                BenchmarkConfig(model=save(_model(True), root / "extra.xml")).to_dict())
    return BenchmarkConfig(model=chain).to_dict(), BenchmarkConfig(model=chain).to_dict()


def _named_first(case: str, top: dict) -> bool:
    if case == "precision":
        return top["type"] == "Convolution" and any(c.startswith("precision")
                                                    for c in top["changes"])
    if case == "extra":
        return top["changes"] == ["only in NEW"] and top["type"] == "FullyConnected"
    return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=("precision", "extra", "aa"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="per epoch")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--block-s", type=float, default=0.2)
    args = parser.parse_args()
    named = flagged = 0
    with tempfile.TemporaryDirectory() as root:
        base, new = _case(args.case, Path(root))
        for run in range(args.runs):
            began = time.monotonic()
            result = attribution(profile_pass(base, new, (sys.executable, sys.executable),
                                              args.rounds, args.block_s, seed=args.seed + run,
                                              epochs=args.epochs)).to_dict()
            wall = time.monotonic() - began
            top = result["nodes"][0]
            total = result["total"]["delta_ms"]
            rows = sum(r["delta_ms"]["value"] for r in result["nodes"])
            outside = result["unattributed"]["outside_counters"]
            beyond = [r["key"] for r in result["nodes"] if r["beyond_level"]]
            beyond += ["(outside the counters)"] if outside["beyond_level"] else []
            named += _named_first(args.case, top)
            flagged += bool(beyond)
            print(f"run {run + 1}: top {top['key']} ({top['type']}) "
                  f"{top['delta_ms']['value']:+.4f} ms [{top['delta_ms']['low']:+.4f}, "
                  f"{top['delta_ms']['high']:+.4f}] {'; '.join(top['changes']) or '-'} | "
                  f"total {total['value']:+.4f} [{total['low']:+.4f}, {total['high']:+.4f}] "
                  f"= rows {rows:+.4f} + outside {outside['delta_ms']['value']:+.4f} "
                  f"(sum error {rows + outside['delta_ms']['value'] - total['value']:.1e}) | "
                  f"beyond the {100 * result['row_family']['level']:.2f} % family level: "
                  f"{len(beyond)} {beyond[:3]} | pass {wall:.1f} s", flush=True)
    print(f"{args.case}: cause named first in {named}/{args.runs}; runs with any row beyond "
          f"the family level: {flagged}/{args.runs}")


if __name__ == "__main__":
    main()
