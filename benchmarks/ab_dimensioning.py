"""The default epoch design against the dimensioned one (``stats.dimensioning``), simulated
on the tests' two-level AR(1) model (tests/stats/ab_model.py) with the project's own
statistics: at the same time budget, how wide the interval is, whether it covers, and
under the real stopping rule (``stats.sequential``: a look per epoch) how often an A/A
decides, how often a true −3 % change is caught at the default 2 % threshold, and how long
a run takes to stop (epochs × their modelled cost).

The components (``--round-sd``, ``--rho``, ``--process-sd``, ``--order-effect``,
``--setup-s``, ``--round-s``) are the model's; the dimensioned design is chosen from the
exact ones, as a cache would hold after enough earlier runs.  The default design is
``perfbench ab``'s: about 10 s of rounds per epoch (at least 6 rounds).

    python benchmarks/ab_dimensioning.py --runs 1000
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perfbench.stats import dimensioning  # noqa: E402
from perfbench.stats.two_level import two_level_ratio  # noqa: E402


def _ab_model():
    spec = importlib.util.spec_from_file_location("ab_model", ROOT / "tests/stats/ab_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AB_MODEL = _ab_model()


def components(args, rounds: int) -> dimensioning.Components:
    """The model's σ_w² for an n-round epoch: n × the variance of an AR(1) mean."""
    rho = args.rho
    factor = 1 + 2 * sum((1 - k / rounds) * rho ** k for k in range(1, rounds))
    return dimensioning.Components(args.round_sd ** 2 * factor, args.process_sd ** 2,
                                   args.setup_s, args.round_s)


def sequential_runs(rng, args, rounds: int, epochs: int, truth: float, threshold: float):
    """(decided share: regression, improvement; mean epochs at the stop) under the rule."""
    model = {"round_sd": args.round_sd, "rho": args.rho, "process_sd": args.process_sd,
             "order_effect": args.order_effect}
    data, orders = AB_MODEL.runs(rng, args.runs, truth, epochs, rounds=rounds, **model)
    judged = [AB_MODEL.under_the_rule(data[i], orders[i], threshold) for i in range(args.runs)]
    verdicts, stops = [v for v, _ in judged], [k for _, k in judged]
    regression = float(np.mean([v == "regression" for v in verdicts]))
    improvement = float(np.mean([v == "improvement" for v in verdicts]))
    return regression, improvement, float(np.mean(stops))


def fixed_runs(rng, args, rounds: int, epochs: int):
    """(mean 95 % half-width in %, coverage) of runs measured to their planned length."""
    model = {"round_sd": args.round_sd, "rho": args.rho, "process_sd": args.process_sd,
             "order_effect": args.order_effect}
    data, orders = AB_MODEL.runs(rng, args.runs, 1.0, epochs, rounds=rounds, **model)
    estimates = [two_level_ratio([list(e) for e in data[i]], 0.95, None, orders[i])
                 for i in range(args.runs)]
    half = np.mean([(math.log(e.high) - math.log(e.low)) / 2 for e in estimates])
    return 100 * float(half), float(np.mean([e.low <= 1.0 <= e.high for e in estimates]))


def row(rng, args, name: str, rounds: int, epochs: int) -> str:
    cost = args.setup_s + rounds * args.round_s
    half, covered = fixed_runs(rng, args, rounds, epochs)
    aa0_reg, aa0_imp, _ = sequential_runs(rng, args, rounds, epochs, 1.0, 0.0)
    aa2_reg, aa2_imp, aa_stop = sequential_runs(rng, args, rounds, epochs, 1.0, 2.0)
    caught, _, ab_stop = sequential_runs(rng, args, rounds, epochs, 0.97, 2.0)
    expected = 100 * dimensioning.expected_half_width(components(args, rounds), rounds, epochs)
    return (f"{name:<12} {rounds:>6} {epochs:>6} {epochs * cost:>6.0f} {expected:>8.3f} "
            f"{half:>8.3f} {100 * covered:>6.1f} {100 * (aa0_reg + aa0_imp):>7.1f} "
            f"{100 * (aa2_reg + aa2_imp):>7.1f} {100 * caught:>7.1f} "
            f"{aa_stop * cost:>7.0f} {ab_stop * cost:>7.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--budget-s", type=float, default=120.0)
    parser.add_argument("--round-sd", type=float, default=0.04)
    parser.add_argument("--rho", type=float, default=0.5)
    parser.add_argument("--process-sd", type=float, default=0.01)
    parser.add_argument("--order-effect", type=float, default=0.03)
    parser.add_argument("--setup-s", type=float, default=1.0)
    parser.add_argument("--round-s", type=float, default=0.26)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    default = max(6, math.ceil(10.0 / args.round_s))
    default_epochs = max(dimensioning.MIN_EPOCHS, dimensioning.epochs_within(
        components(args, default), default, args.budget_s))
    chosen = dimensioning.choose_design(components(args, 16), args.budget_s)
    print(f"model: round SD {100 * args.round_sd:g} % (lag-1 {args.rho:g}), process SD "
          f"{100 * args.process_sd:g} %, start order ±{100 * args.order_effect:g} %, setup "
          f"{args.setup_s:g} s, round {args.round_s:g} s, budget {args.budget_s:g} s; "
          f"{args.runs} runs a cell, seed {args.seed}; Kalibera & Jones' n* = "
          f"{dimensioning.optimal_rounds(components(args, 16)):.1f}")
    print(f"{'design':<12} {'rounds':>6} {'epochs':>6} {'cost s':>6} {'exp ±%':>8} "
          f"{'sim ±%':>8} {'cov %':>6} {'AA@0 %':>7} {'AA@2 %':>7} {'−3 % %':>7} "
          f"{'AA s':>7} {'AB s':>7}")
    print(row(rng, args, "default", default, default_epochs))
    print(row(rng, args, "dimensioned", chosen.rounds, chosen.epochs))
    print("exp/sim ±%: the 95 % half-width expected by stats.dimensioning and simulated, "
          "measured to the planned length; cov: its coverage; AA@0/AA@2: A/A runs decided "
          "either way under the stopping rule at threshold 0 / 2 %; −3 %: a true −3 % "
          "change called a regression at 2 %; AA s/AB s: mean seconds to the stop")


if __name__ == "__main__":
    main()
