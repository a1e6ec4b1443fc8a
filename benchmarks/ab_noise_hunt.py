"""Which noise controls cut the A/B process noise?  Controlled A/A runs, per control, on the
cache-sensitive MatMul pair and the compute-bound conv pair of ``ab_calibration.py``.

For each pair, repeat and control (``--controls``, ``perfbench ab --control`` values),
two A/A runs of the pair's BASE model against itself, one after the other: one with the
control and one without it (the baseline, measured in the same session, next to it; which
of the two goes first alternates by repeat, so a drift over the session cancels).  Each
run is ``--no-early-stop`` for ``--minutes`` with the process level from that run alone
(``--process-level this-run``) and a fixed epoch length (``--epoch-s``), so every cell has
the same design.  Each run's components (``ratios.fps`` of its document: process SD,
start-order effect, round SD, 95 % half-width) are saved as one JSON line the moment it
finishes (``--out``; a stopped hunt resumes where it was), and the table compares each
control with its own baselines: the mean over the repeats, and their SD, so that a change
can be told from the runs' own spread (docs/ab.md, "Noise controls").

Run it on a quiet machine, from the repository root:
``python benchmarks/ab_noise_hunt.py --out hunt.jsonl --minutes 5 --repeats 4``
(the 6 default controls × 2 pairs × 4 repeats × 2 runs × 5 min: 8 hours; an even number
of repeats balances which of the two runs goes first).  ``--summary`` prints the table
from the saved file without measuring.  The table gives each control's change in the
process SD and the start-order effect, with − without paired by repeat, with its 95 %
t-interval over the repeats.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ab_calibration import PAIRS, load, perfbench_ab

from perfbench.stats.tdist import t_critical

#: No bare ``pin`` here: it restricts the workers to the CPUs they may already use, a
#: no-op whose "no effect" would say nothing of pinning; give ``pin=CPUS``, a subset
#: (e.g. ``pin=0-7`` on a 16-core machine), with --controls.
DEFAULT_CONTROLS = ["thp-off", "prefault", "arena=1", "evict", "layout", "warmup=0.2"]
BASELINE = "none"
#: The cell of a baseline that serves every control of its pair and repeat (--shared-baseline).
SHARED = "shared"
FIGURES = ("process_sd_pct", "order_effect_pct", "round_sd_pct", "half_width_pct")


def plan(pairs: list[str], controls: list[str], repeats: int) -> list[tuple[str, str, str, int]]:
    """(pair, control measured, the control it is the baseline of or itself, repeat), in
    measuring order: each control next to its own baseline, the first of the two
    alternating by repeat."""
    steps = []
    for repeat in range(repeats):
        for pair in pairs:
            for control in controls:
                two = [(pair, BASELINE, control, repeat), (pair, control, control, repeat)]
                steps += two if repeat % 2 == 0 else two[::-1]
    return steps


def shared_plan(pairs: list[str], controls: list[str],
                repeats: int) -> list[tuple[str, str, str, int]]:
    """The same steps with one baseline per pair and repeat, shared by its controls: k + 1
    runs a repeat instead of 2k.  The order is rotated by one each repeat (a Latin square
    over k + 1 repeats), so that no control, nor the baseline, always runs at the same
    point of a repeat, and a drift over the session does not pile up on one of them."""
    steps = []
    for repeat in range(repeats):
        for pair in pairs:
            cells = [(pair, BASELINE, SHARED, repeat)] + [
                (pair, control, control, repeat) for control in controls]
            shift = repeat % len(cells)
            cells = cells[shift:] + cells[:shift]
            steps += cells
    return steps


def arguments(control: str, minutes: float, epoch_s: float) -> list[str]:
    extra = ["--no-early-stop", "--max-time", f"{60 * minutes:g}", "--epoch-s", f"{epoch_s:g}",
             "--process-level", "this-run"]
    return extra + ([] if control == BASELINE else ["--control", control])


def record(pair: str, control: str, cell: str, repeat: int, outcome: dict) -> dict:
    doc = outcome["doc"]
    fps = doc["ratios"].get("fps") or {}
    return {"pair": pair, "control": control, "cell": cell, "repeat": repeat,
            "controls_in_force": doc.get("controls"), "epochs": len(doc.get("epochs", [])),
            "wall_s": outcome["wall_s"], "exit": outcome["exit"],
            **{key: fps.get(key) for key in FIGURES}}


def measure(args, models: dict, env: dict) -> None:
    done = {(r["pair"], r["control"], r["cell"], r["repeat"]) for r in load(args.out)}
    steps = (shared_plan if args.shared_baseline else plan)(args.pairs, args.controls,
                                                             args.repeats)
    todo = [step for step in steps if step not in done]
    if todo and args.warm_up_minutes > 0:
        # the first run of a session read an outlying start-order effect in both hunts of
        # 2026-12-07 (−1.5 and −0.9 % against −2.9 to −5.9 % for the 25 others): a run
        # nobody keeps takes that slot
        base, _ = models[todo[0][0]]
        perfbench_ab(base, base, arguments(BASELINE, args.warm_up_minutes, args.epoch_s),
                     env)
    for pair, control, cell, repeat in todo:
        base, _ = models[pair]
        outcome = perfbench_ab(base, base, arguments(control, args.minutes, args.epoch_s), env)
        row = record(pair, control, cell, repeat, outcome)
        with args.out.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        print(f"{pair} {control} (cell {cell}, repeat {repeat}): process SD "
              f"{_number(row['process_sd_pct'])} %, start order "
              f"{_number(row['order_effect_pct'])} %, {row['epochs']} epochs in "
              f"{row['wall_s']:.0f} s", flush=True)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _mean_sd(rows: list[dict], key: str) -> str:
    """Mean over the repeats (± their SD from two on).  The start-order effect signed
    (how much faster the process started first ran): averaging its size would bias it
    upward, since a noisy estimate of 0 has a positive size."""
    values = [r[key] for r in rows if r.get(key) is not None]
    if not values:
        return "n/a"
    text = f"{statistics.fmean(values):.2f}"
    return text + (f" ± {statistics.stdev(values):.2f}" if len(values) > 1 else "")


def difference(treated: list[dict], baseline: list[dict], key: str) -> str:
    """The control's effect on a figure: with − without, paired by repeat (the two runs of
    a repeat are measured next to each other), the mean with its 95 % t-interval over
    the repeats; "n/a" with fewer than two pairs, where no interval can be had."""
    without = {r["repeat"]: r[key] for r in baseline if r.get(key) is not None}
    pairs = [r[key] - without[r["repeat"]] for r in treated
             if r.get(key) is not None and r["repeat"] in without]
    if len(pairs) < 2:
        return "n/a"
    mean = statistics.fmean(pairs)
    half = t_critical(len(pairs) - 1) * statistics.stdev(pairs) / math.sqrt(len(pairs))
    return f"{mean:+.2f} [{mean - half:+.2f}, {mean + half:+.2f}]"


def table(records: list[dict]) -> list[str]:
    """One line per (control, pair): each figure with the control / without it (its own
    baselines), mean ± SD over the repeats, and the change in the process SD and the
    start-order effect with its interval: a control helps where that interval is below
    0 (the SD) or nearer 0 (the effect), beyond the runs' own spread.  A cell without
    baselines of its own takes its pair's shared ones (``--shared-baseline``)."""
    header = ("control", "pair", "runs", "process SD %", "Δ process SD (95 %)",
              "start order %", "Δ start order (95 %)", "round SD %", "half-width %")
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    cells = sorted({(r["cell"], r["pair"]) for r in records if r["cell"] != SHARED})
    for cell, pair in cells:
        rows = [r for r in records if r["cell"] == cell and r["pair"] == pair]
        treated = [r for r in rows if r["control"] == cell]
        baseline = [r for r in rows if r["control"] == BASELINE] or [
            r for r in records if r["cell"] == SHARED and r["pair"] == pair]
        both = {k: f"{_mean_sd(treated, k)} / {_mean_sd(baseline, k)}" for k in FIGURES}
        lines.append(" | ".join([
            cell, pair, f"{len(treated)} / {len(baseline)}", both["process_sd_pct"],
            difference(treated, baseline, "process_sd_pct"), both["order_effect_pct"],
            difference(treated, baseline, "order_effect_pct"), both["round_sd_pct"],
            both["half_width_pct"]]))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("ab_noise_hunt.jsonl"))
    parser.add_argument("--pairs", type=lambda s: s.split(","), default=["matmul", "conv"])
    parser.add_argument("--controls", type=lambda s: s.split(","), default=DEFAULT_CONTROLS,
                        help="comma-separated --control values (pin=CPUS takes no commas "
                        "here: use a range, pin=0-3)")
    parser.add_argument("--minutes", type=float, default=5.0,
                        help="each A/A run's length, with and without (default 5)")
    parser.add_argument("--repeats", type=int, default=4,
                        help="pairs of runs per control (default 4: even, so which of the "
                        "two goes first is balanced)")
    parser.add_argument("--epoch-s", type=float, default=10.0)
    parser.add_argument("--shared-baseline", action="store_true",
                        help="one baseline per pair and repeat for all its controls (k + 1 "
                        "runs a repeat, not 2k); the order rotates by repeat")
    parser.add_argument("--warm-up-minutes", type=float, default=2.0,
                        help="an unrecorded A/A run before the first measured one (default "
                        "2; 0: none)")
    parser.add_argument("--summary", action="store_true", help="print, do not measure")
    args = parser.parse_args()
    unknown = [p for p in args.pairs if p not in PAIRS]
    if unknown:
        raise SystemExit(f"--pairs: unknown {', '.join(unknown)} (one of {', '.join(PAIRS)})")
    if "pin" in args.controls:
        raise SystemExit("--controls pin: bare pin keeps the CPUs the workers may already "
                         "use (a no-op); give a subset, pin=CPUS")
    if not args.summary:
        models_dir = args.out.parent / (args.out.stem + "-models")
        models_dir.mkdir(parents=True, exist_ok=True)
        models = {name: PAIRS[name](models_dir) for name in args.pairs}
        env = dict(os.environ, PERFBENCH_CACHE_DIR=str(args.out.parent /
                                                        (args.out.stem + "-cache")))
        measure(args, models, env)
    print("\n".join(table(load(args.out))))
    print("each figure: with the control / without it (its own baselines, measured next to "
          "it), mean ± SD over the repeats; the start-order effect signed (how much faster "
          "the process started first ran); Δ: with − without, paired by repeat, with its "
          "95 % t-interval over the repeats")


if __name__ == "__main__":
    main()
