"""``ab --attribute``'s pass on known causes, repeated: is the cause named first, do the
contributions sum to the measured total within their intervals, does an A/A flag any
node beyond the family level?  (Issue 28's must-show.)

Cases on the built-in model (inception-resnet-v2 replica, ``perfbench.model.builtin``):

* ``builtin-extra``: BASE is the built-in (saved as IR), NEW the same IR with one 1×1
  convolution (1088 → 1088 channels, about 0.68 GFLOP, 3 % of the model's 22) inserted
  after ``Mixed_6a``, named ``perfbench_extra_conv``; the known cause: that node,
  present in NEW only;
* ``builtin-precision``: BASE ``precision=bf16``, NEW ``precision=f32`` (only where the
  CPU plugin reports BF16 among its optimization capabilities; else it says so and
  stops); the known cause: a convolution whose runtime precision changed;
* ``builtin-aa``: the built-in against itself (no cause: no row's interval should exclude
  0 beyond the family level).

And on tiny models (``tests/models.py``, each pass seconds):

* ``precision``: a 4-conv chain, BASE ``precision=bf16``, NEW ``precision=f32`` (needs a
  CPU with bf16; the cause: the convolutions' precision bf16 → f32);
* ``extra``: a small conv, NEW with six 128×128 FullyConnected nodes added (the cause:
  nodes present in NEW only);
* ``aa``: the 4-conv chain against itself.

Each run is one whole profiling pass (``--epochs`` fresh pairs of workers, ``--rounds``
rounds each, both sides a block a round).  ``--run-s S`` sets the time each run measures
(the blocks' length: S / (2 × epochs × rounds), at least the pass's minimum; worker
start-up and compiling come on top, about 10 s an epoch on the built-in on 2 cores);
``--block-s`` sets the block directly.  The must-show: ``builtin-extra --runs 10``
(named first in ≥ 9 of 10, the contributions summing to the total within its interval)
and ``builtin-aa --runs 10`` (no run with a row beyond the family level).  From the
repository root:

    python benchmarks/attribution_check.py builtin-extra --runs 10 --run-s 20
    python benchmarks/attribution_check.py builtin-aa --runs 10 --run-s 20
    python benchmarks/attribution_check.py extra --runs 5

It prints one line per run and a summary; ``--save PATH`` writes them with a header.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perfbench.runner.attribute import MIN_PROFILE_S, attribution, profile_pass  # noqa: E402
from perfbench.settings.config import BenchmarkConfig  # noqa: E402
from tests.models import save, slow_model  # noqa: E402
from tests.runner.test_attribute import _model  # noqa: E402

CASES = ("builtin-extra", "builtin-precision", "builtin-aa", "precision", "extra", "aa")
#: The node ``builtin-extra`` inserts: the known cause.
EXTRA = "perfbench_extra_conv"


def builtin_with_extra_conv(base_xml: str):
    """The built-in model (read back from ``base_xml``, so that every other node keeps
    its name) with one 1×1 convolution after the first 17×17×1088 Concat (``Mixed_6a``'s
    output), every consumer of that output reading the new node instead: a node NEW has
    and BASE has not, of a known cost (about 3 % of the model's work)."""
    import numpy as np
    import openvino as ov
    import openvino.opset15 as ops
    model = ov.Core().read_model(base_xml)
    concat = next(op for op in model.get_ordered_ops() if op.get_type_name() == "Concat"
                  and list(op.get_output_partial_shape(0).to_shape()) == [1, 1088, 17, 17])
    targets = list(concat.output(0).get_target_inputs())
    weights = (np.random.default_rng(1).standard_normal((1088, 1088, 1, 1))
               / np.sqrt(1088)).astype(np.float32)
    extra = ops.convolution(concat.output(0), ops.constant(weights), [1, 1], [0, 0],
                            [0, 0], [1, 1])
    extra.set_friendly_name(EXTRA)
    for target in targets:
        target.replace_source_output(extra.output(0))
    model.validate_nodes_and_infer_types()
    return model


def _bf16_capable() -> bool:
    """Whether the CPU plugin here offers bf16 (asked, never assumed: machines vary)."""
    import openvino as ov
    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def _case(name: str, root: Path) -> tuple[dict, dict]:
    if name.startswith("builtin"):
        if name == "builtin-extra":       # both sides as IR: one set of node names
            from perfbench.model.builtin import build_model
            base = save(build_model(), root / "builtin.xml")
            new = save(builtin_with_extra_conv(base), root / "builtin-extra.xml")
            return BenchmarkConfig(model=base).to_dict(), BenchmarkConfig(model=new).to_dict()
        if name == "builtin-precision":
            return (BenchmarkConfig(precision="bf16").to_dict(),
                    BenchmarkConfig(precision="f32").to_dict())
        return BenchmarkConfig().to_dict(), BenchmarkConfig().to_dict()
    chain = save(slow_model(4), root / "chain.xml")
    if name == "precision":
        return (BenchmarkConfig(model=chain, precision="bf16").to_dict(),
                BenchmarkConfig(model=chain, precision="f32").to_dict())
    if name == "extra":
        return (BenchmarkConfig(model=save(_model(False), root / "plain.xml")).to_dict(),
                BenchmarkConfig(model=save(_model(True), root / "extra.xml")).to_dict())
    return BenchmarkConfig(model=chain).to_dict(), BenchmarkConfig(model=chain).to_dict()


def named_first(case: str, top: dict) -> bool:
    """Whether the first row is the case's known cause."""
    if case in ("precision", "builtin-precision"):
        return top["type"] == "Convolution" and any(c.startswith("precision")
                                                    for c in top["changes"])
    if case == "extra":
        return top["changes"] == ["only in NEW"] and top["type"] == "FullyConnected"
    if case == "builtin-extra":
        return top["changes"] == ["only in NEW"] and any(EXTRA in n for n in top["new_nodes"])
    return False


def sums(result: dict) -> tuple[float, bool | None]:
    """Whether the counters account for the measured change.  Rows plus the time
    outside the counters equal the total by definition (the producer's identity; its
    rounding error is the first figure returned), so the question is whether the
    residual, the time outside the counters, differs from 0: its own paired interval,
    stored by the producer, holds 0 or not.  None where it has no interval (a third
    state, counted apart from both)."""
    total = result["total"]["delta_ms"]["value"]
    counted = result["counted"]["delta_ms"]["value"]
    outside = result["unattributed"]["outside_counters"]["delta_ms"]
    if outside["low"] is None:
        return counted + outside["value"] - total, None
    return counted + outside["value"] - total, outside["low"] <= 0 <= outside["high"]


def cause_explains_total(result: dict) -> bool:
    """For a case with one known cause: the top row's contribution lies within the total
    change's interval (the rest of the graph sums to nothing distinguishable from 0)."""
    total, top = result["total"]["delta_ms"], result["nodes"][0]["delta_ms"]
    return total["low"] is not None and total["low"] <= top["value"] <= total["high"]


def _held(inside: bool | None) -> str:
    return {True: "holds 0", False: "EXCLUDES 0", None: "without an interval"}[inside]


def _fmt(delta: dict) -> str:
    if delta["low"] is None:
        return f"{delta['value']:+.4f}"
    return f"{delta['value']:+.4f} [{delta['low']:+.4f}, {delta['high']:+.4f}]"


def block_s(args) -> float:
    if args.block_s is not None:
        return args.block_s
    if args.run_s is not None:
        return max(MIN_PROFILE_S, args.run_s / (2 * args.epochs * args.rounds))
    return MIN_PROFILE_S


def one_run(args, base: dict, new: dict, run: int, block: float) -> tuple[str, dict]:
    began = time.monotonic()
    attributed = attribution(profile_pass(base, new, (sys.executable, sys.executable),
                                          args.rounds, block, seed=args.seed + run,
                                          epochs=args.epochs))
    if attributed is None or attributed.table is None:
        raise SystemExit(f"run {run + 1}: no profiling round completed")
    result = attributed.to_dict()
    wall = time.monotonic() - began
    top = result["nodes"][0]
    error, inside = sums(result)
    outside = result["unattributed"]["outside_counters"]
    beyond = [r["key"] for r in result["nodes"] if r["beyond_level"]]
    beyond += ["(outside the counters)"] if outside["beyond_level"] else []
    types = [r["key"] for r in result["types"] if r["beyond_level"]]
    line = (f"run {run + 1}: top {top['key']} ({top['type']}) {_fmt(top['delta_ms'])} ms "
            f"{'; '.join(top['changes']) or '-'} | total {_fmt(result['total']['delta_ms'])}"
            f" = rows {sum(r['delta_ms']['value'] for r in result['nodes']):+.4f} + outside "
            f"{outside['delta_ms']['value']:+.4f} (sum error {error:.1e}, "
            f"outside the counters {_held(inside)}) | beyond the "
            f"{100 * result['row_family']['level']:.2f} % family level: {len(beyond)} "
            f"{beyond[:3]}; types {len(types)} {types[:3]} | pass {wall:.1f} s")
    return line, {"named": named_first(args.case, top), "inside": inside,
                  "explains": cause_explains_total(result), "beyond": bool(beyond),
                  "types_beyond": bool(types), "wall": wall}


def summary(case: str, runs: list[dict]) -> list[str]:
    n = len(runs)
    walls = [r["wall"] for r in runs]
    lines = [f"{case}: runs {n}; pass wall {min(walls):.0f}–{max(walls):.0f} s "
             f"(mean {sum(walls) / n:.0f} s)",
             f"  the time outside the counters' interval holds 0 (the rows sum to the total "
             f"within their intervals) in {sum(r['inside'] is True for r in runs)}/{n}"
             f"; without an interval in {sum(r['inside'] is None for r in runs)}",
             f"  runs with a row beyond the family level: {sum(r['beyond'] for r in runs)}/{n}"
             f" (node types: {sum(r['types_beyond'] for r in runs)}/{n})"]
    if not case.endswith("aa"):
        lines.insert(1, f"  known cause named first in {sum(r['named'] for r in runs)}/{n} "
                        f"(must-show: ≥ 9 of 10)")
        lines.insert(2, f"  the top row's contribution within the total change's interval "
                        f"in {sum(r['explains'] for r in runs)}/{n}")
    else:
        lines.append("  must-show: 0 runs with a row beyond the family level")
    return lines


def header(args, block: float) -> list[str]:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    import openvino as ov
    return [f"attribution_check {args.case}: python benchmarks/attribution_check.py "
            + " ".join(sys.argv[1:]),
            f"commit {commit}; {now}; {platform.processor() or platform.machine()}, "
            f"{__import__('os').cpu_count()} logical cores; OpenVINO {ov.__version__}",
            f"{args.epochs} epochs × {args.rounds} rounds, blocks of {block:.3f} s a side; "
            f"conditions: {args.conditions}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=CASES)
    parser.add_argument("--runs", type=int, default=10, help="profiling passes (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="per epoch")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-s", type=float, default=None, metavar="S",
                        help="time each run measures (sets the block length)")
    parser.add_argument("--block-s", type=float, default=None, metavar="S",
                        help="one block's length (default: from --run-s, else "
                        f"{MIN_PROFILE_S} s)")
    parser.add_argument("--conditions", default="not stated")
    parser.add_argument("--save", metavar="PATH", help="also write the output here")
    args = parser.parse_args()
    if args.case.endswith("precision") and not _bf16_capable():
        raise SystemExit(f"{args.case}: this CPU plugin offers no BF16 (its optimization "
                         "capabilities), so there is no bf16 side to compare")
    block = block_s(args)
    lines = header(args, block)
    print("\n".join(lines), flush=True)
    runs = []
    with tempfile.TemporaryDirectory() as root:
        base, new = _case(args.case, Path(root))
        for run in range(args.runs):
            line, figures = one_run(args, base, new, run, block)
            print(line, flush=True)
            lines.append(line)
            runs.append(figures)
    for line in summary(args.case, runs):
        print(line)
        lines.append(line)
    if args.save:
        Path(args.save).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
