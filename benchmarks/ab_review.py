"""The A/B review's findings, simulated before and after: coverage and false decisions of
``perfbench ab``'s statistics on the tests' two-level AR(1) model (tests/stats/ab_model.py),
with the epoch-variance cache filled from a quieter time than today, a start-order effect,
and short epochs.

Every figure comes from the project's own functions (``stats.two_level.two_level_ratio``,
``stats.sequential.look``/``stop_reason``/``judge``, ``runner.ab_cache.store``/``load``
on a private cache directory), imported from two trees: "before", a git revision
(``--before``, default the branch point bcdb73b, extracted with ``git archive``), and
"after", this checkout.  Each runs in its own interpreter with the same seeds.

Per cell (rounds per epoch × cache × start-order effect), 1,000 A/A runs (``--runs``):
* cov8: the 95 % interval of a fixed run of 8 epochs holds the true ratio;
* false: under the stopping rule (a look per epoch, at most 10 epochs), threshold 0, the
  judged interval excludes 1 (a false decision of either sign);
* caught: the same rule with a true −3 % change at the default 2 % threshold, the share
  called "regression".
The cache is ten (before: twenty) earlier runs of 8 epochs at the cached σ_b, stored
minutes before, so expiry plays no part: only how the prior is used does.

    python benchmarks/ab_review.py --runs 1000 > benchmarks/results/ab_review-DATE-MACHINE.txt
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CELLS = [(rounds, cache, order) for rounds in (40, 9, 6)
         for cache in (None, (0.0, 0.0075), (0.004, 0.012))
         for order in (0.0, 0.035)]


def _model():
    spec = importlib.util.spec_from_file_location("ab_model", ROOT / "tests/stats/ab_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prior(ab_model, ab_cache, epoch_variance, rng, cached_sd, rounds, order, key):
    runs = 10
    for i in range(runs if hasattr(ab_cache, "MAX_DOF") else 2 * runs):
        arr, orders = ab_model.runs(rng, 1, 1.0, 8, rounds=rounds, process_sd=cached_sd,
                                    order_effect=order)
        ab_cache.store(key, epoch_variance([list(e) for e in arr[0]], orders[0]),
                       now=1000.0 + i)
    return ab_cache.load(key, now=1100.0)


def _sequential(sequential, arr, orders, prior, threshold, max_epochs=10):
    verdicts, judged = [], []
    for run, order in zip(arr, orders):
        looks = []
        for k in range(1, max_epochs + 1):
            epochs = [list(e) for e in run[:k]]
            looks.append(sequential.look(epochs, threshold, 1.0, prior,
                                         orders=order[:k])[0])
            reason = sequential.stop_reason(looks, k)
            if reason is not None or k == max_epochs:
                verdict, estimate = sequential.judge(epochs, threshold, reason is not None,
                                                     prior, orders=order[:k])
                verdicts.append(verdict)
                judged.append(estimate)
                break
    return verdicts, judged


def simulate(runs: int) -> list[dict]:
    """This interpreter's perfbench (before or after) over every cell."""
    from perfbench.runner import ab_cache
    from perfbench.stats import sequential
    from perfbench.stats.two_level import epoch_variance, two_level_ratio
    ab_model = _model()
    out = []
    for index, (rounds, cache, order) in enumerate(CELLS):
        rng = np.random.default_rng(1000 + index)
        today_sd = cache[1] if cache else ab_model.PROCESS_SD
        prior = None if cache is None else _prior(ab_model, ab_cache, epoch_variance, rng,
                                                  cache[0], rounds, order, f"cell{index}")
        model = dict(rounds=rounds, process_sd=today_sd, order_effect=order)
        arr, orders = ab_model.runs(rng, runs, 1.0, 8, **model)
        fixed = [two_level_ratio([list(e) for e in r], 0.95, prior, o)
                 for r, o in zip(arr, orders)]
        arr, orders = ab_model.runs(rng, runs, 1.0, 10, **model)
        _, judged = _sequential(sequential, arr, orders, prior, 0.0)
        arr, orders = ab_model.runs(rng, runs, 0.97, 10, **model)
        verdicts, _ = _sequential(sequential, arr, orders, prior, 2.0)
        out.append({"rounds": rounds, "cache": cache, "order": order,
                    "prior_dof": None if prior is None else prior.dof,
                    "cov8": float(np.mean([e.low <= 1 <= e.high for e in fixed])),
                    "half8": float(np.median([e.half_width_pct for e in fixed])),
                    "false": float(np.mean([not (e.low <= 1 <= e.high) for e in judged])),
                    "caught": float(np.mean([v == "regression" for v in verdicts]))})
        print(json.dumps(out[-1]), file=sys.stderr, flush=True)
    return out


def matmul_like(runs: int) -> dict:
    """The MatMul pair's components (the 2026-11-30 Xeon reference: epoch-level SD 3.6 %
    once a 7.1 % start-order effect is taken out, round SD 5 %, ~38 rounds an epoch), a
    true ratio of 0.935: A/B runs under the stopping rule, their cache filled by one
    24-epoch reference run of the same model, as ab_calibration.py does.  Coverage of the
    truth, and of the reference run's own estimate (what the calibration compared with)."""
    from perfbench.runner import ab_cache
    from perfbench.stats import sequential
    from perfbench.stats.two_level import epoch_variance, two_level_ratio
    ab_model = _model()
    model = dict(rounds=38, round_sd=0.05, process_sd=0.036, order_effect=0.0736)
    rng = np.random.default_rng(7)
    truth_hits = reference_hits = 0
    for i in range(runs):
        reference, orders = ab_model.runs(rng, 1, 0.935, 24, **model)
        epochs = [list(e) for e in reference[0]]
        ab_cache.store(f"m{i}", epoch_variance(epochs, orders[0]), now=1000.0)
        prior = ab_cache.load(f"m{i}", now=1001.0)
        ref = two_level_ratio(epochs, 0.95, None, orders[0]).ratio
        arr, order = ab_model.runs(rng, 1, 0.935, 10, **model)
        _, judged = _sequential(sequential, arr, order, prior, 2.0)
        truth_hits += judged[0].low <= 0.935 <= judged[0].high
        reference_hits += judged[0].low <= ref <= judged[0].high
    return {"runs": runs, "covers_truth": truth_hits / runs,
            "covers_reference": reference_hits / runs}


def real_runs(path: Path, order_pct: float, process_pct: float, round_pct: float,
              rounds: int) -> dict | None:
    """The MatMul A/A runs of ab_calibration's file: every run measured 9 epochs (odd: a
    plain mean is off by ±d/9), so their run-to-run spread tells the two models apart.
    Their per-epoch data were not kept (only each run's summary), so the components come
    from the reference run (its table: process SD, round SD, start-order effect)."""
    if not path.exists():
        return None
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    aa = [r for r in rows if r["pair"] == "matmul" and r["kind"] == "aa"]
    epochs = {r["epochs"] for r in aa}
    if len(aa) < 2 or len(epochs) != 1:
        return None
    k = epochs.pop()
    logs = np.log([r["ratio95"]["ratio"] for r in aa])
    d = abs(np.log1p(order_pct / 100))
    within = (round_pct / 100) ** 2 / rounds * 3                  # lag-1 ρ ≈ 0.5
    plain = (process_pct / 100) ** 2 + within                     # the reference's (K = 24)
    residual = plain - d * d * 24 / 23
    odd = k % 2
    return {"runs": len(aa), "epochs": k, "observed_sd_pct": 100 * float(logs.std(ddof=1)),
            "order_as_noise_sd_pct": 100 * math.sqrt(plain / k),
            "fixed_effect_sd_pct": 100 * math.sqrt(residual / k + (odd * d / k) ** 2),
            "residual_sd_pct": 100 * math.sqrt(residual)}


def suites(count: int, entries: int = 9) -> dict:
    """A/A suites of ``entries`` at threshold 0 (this checkout's rule and family levels):
    the share that exit 1, on an entry's regression or the geomean's, with the geomean
    judged at a plain 95 % (as before) and at the family's level (after)."""
    from perfbench.stats import sequential
    from perfbench.stats.two_level import two_level_ratio
    from perfbench.results.interval import Interval
    from perfbench.results.suite import ABSummary
    from perfbench.suite.ab import geomean_block
    ab_model = _model()
    rng = np.random.default_rng(4242)
    failed = {"plain": 0, "family": 0, "entries": 0}
    for _ in range(count):
        arr, orders = ab_model.runs(rng, entries, 1.0, 10)
        rows, any_entry = [], False
        for run, order in zip(arr, orders):
            looks = []
            for k in range(1, 11):
                epochs = [list(e) for e in run[:k]]
                looks.append(sequential.look(epochs, 0.0, 1.0, orders=order[:k],
                                             family_size=entries)[0])
                reason = sequential.stop_reason(looks, k)
                if reason is not None or k == 10:
                    verdict, _ = sequential.judge(epochs, 0.0, reason is not None,
                                                  orders=order[:k], family_size=entries)
                    break
            any_entry |= verdict == "regression"
            fps = two_level_ratio(epochs, 0.95, orders=order[:k])
            rows.append(ABSummary("e", verdict, Interval(fps.ratio, fps.low, fps.high, 0.95),
                                  fps.dof))
        failed["entries"] += any_entry
        failed["plain"] += any_entry or geomean_block(rows, 0.0).verdict == "regression"
        failed["family"] += any_entry or geomean_block(rows, 0.0, entries).verdict == \
            "regression"
    return {k: v / count for k, v in failed.items()} | {"suites": count}


def _tree(revision: str, directory: str) -> str:
    os.makedirs(directory, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "perfbench"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", directory], input=archive, check=True)
    return directory


def _run(tree: str, runs: int, matmul_runs: int, cache_dir: str) -> dict:
    env = dict(os.environ, PYTHONPATH=tree, PERFBENCH_CACHE_DIR=cache_dir)
    done = subprocess.run([sys.executable, __file__, "--worker", "--runs", str(runs),
                           "--matmul-runs", str(matmul_runs)],
                          env=env, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _cell_name(row: dict) -> str:
    cache = "no cache" if row["cache"] is None else \
        f"cache σ_b {100 * row['cache'][0]:.2g} % → today {100 * row['cache'][1]:.3g} %"
    return f"{row['rounds']:>2} rounds, d {100 * row['order']:.1f} %, {cache}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--matmul-runs", type=int, default=300)
    parser.add_argument("--suites", type=int, default=500)
    parser.add_argument("--before", default="bcdb73b")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--real", type=Path, default=ROOT / "benchmarks/results/"
                        "ab_calibration-2026-11-30-xeon.jsonl")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps({"cells": simulate(args.runs),
                          "matmul": matmul_like(args.matmul_runs)}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        before_all = _run(_tree(args.before, f"{tmp}/before"), args.runs,
                          args.matmul_runs, f"{tmp}/cache-b")
        after_all = _run(str(ROOT), args.runs, args.matmul_runs, f"{tmp}/cache-a")
    before, after = before_all["cells"], after_all["cells"]
    print(f"{args.runs} simulated A/A runs per cell (and {args.runs} at a true −3 %); "
          f"before = {args.before}, after = this checkout")
    print("cov8: 95 % interval of 8 epochs holds 1; false: stopping rule, threshold 0, "
          "judged interval excludes 1; caught: −3 % called at threshold 2; half8: median "
          "half-width (%)")
    print(f"{'cell':58} | {'cov8':>11} | {'half8':>11} | {'false':>11} | {'caught':>11}")
    print(f"{'':58} | {'before after':>11} | {'before after':>11} | {'before after':>11} | "
          f"{'before after':>11}")
    for b, a in zip(before, after):
        cells = [f"{100 * b[k]:5.1f} {100 * a[k]:5.1f}" for k in ("cov8",)]
        cells.append(f"{b['half8']:5.2f} {a['half8']:5.2f}")
        cells += [f"{100 * b[k]:5.1f} {100 * a[k]:5.1f}" for k in ("false", "caught")]
        print(f"{_cell_name(a):58} | " + " | ".join(cells))
    print()
    for name, res in (("before", before_all["matmul"]), ("after", after_all["matmul"])):
        print(f"MatMul-like A/B (true 0.935, cache from one 24-epoch reference), {name}: "
              f"judged interval covers the truth {100 * res['covers_truth']:.1f} %, the "
              f"reference run's estimate {100 * res['covers_reference']:.1f} % "
              f"({res['runs']} runs)")
    if args.suites:
        rates = suites(args.suites)
        print(f"\nA/A suites of 9 at threshold 0 ({rates['suites']}, this checkout): exit 1 "
              f"in {100 * rates['plain']:.1f} % with the geomean at a plain 95 % (before), "
              f"{100 * rates['family']:.1f} % with it at the family's level (after); the "
              f"entries alone {100 * rates['entries']:.1f} %")
    real = real_runs(args.real, -7.1, 8.02, 5.07, 38)
    if real:
        print(f"\nReal: {real['runs']} MatMul A/A runs of {real['epochs']} epochs "
              f"({args.real.name}): run-to-run SD of the estimate "
              f"{real['observed_sd_pct']:.2f} %; predicted with the start order as noise "
              f"{real['order_as_noise_sd_pct']:.2f} %, as a fixed effect (residual epoch SD "
              f"{real['residual_sd_pct']:.2f} %, no between-run component) "
              f"{real['fixed_effect_sd_pct']:.2f} %")


if __name__ == "__main__":
    main()

