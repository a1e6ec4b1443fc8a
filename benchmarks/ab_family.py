"""What judging a suite's A/Bs as one family (Bonferroni levels) buys and costs, simulated.

Uses the two-level model of the A/B tests (``tests/stats/ab_model.py``: rounds within epochs,
a process level per epoch, the calibrated noise of the project's VMs) and the real stopping
rule (``perfbench.stats.sequential``: a look per epoch, two agreeing looks, ≥ 4 epochs).

* false alarms: the share of simulated A/A suites of nine entries in which any entry says
  "regression", judged one by one (family of 1) and as a family of nine, at threshold 0
  (the strictest gate) and at the default 2 %;
* power: the share of A/B runs that catch a 3 % slowdown, alone and as one of nine, when an
  entry can measure at most 4, 6, 8 or 10 epochs (a tight ``suite --ab --budget`` gives few).

Run from the repository root: ``python benchmarks/ab_family.py`` (about two minutes).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfbench.stats import sequential  # noqa: E402
from tests.stats import ab_model  # noqa: E402


def simulate(rng, true_ratio: float, threshold: float, family: int, max_epochs: int):
    """One A/B under the stopping rule: its verdict and the epochs it took."""
    epochs, looks = [], []
    while True:
        epochs.append(ab_model.epoch(rng, true_ratio))
        looks.append(sequential.look(epochs, threshold, 1.0, family_size=family)[0])
        reason = sequential.stop_reason(looks, len(epochs))
        if reason is not None or len(epochs) == max_epochs:
            verdict, _ = sequential.judge(epochs, threshold, early=reason is not None,
                                          family_size=family)
            return verdict, len(epochs)


def false_alarms(suites: int = 300, entries: int = 9) -> None:
    for threshold in (0.0, 2.0):
        for family in (1, entries):
            rng = np.random.default_rng(4242)
            hit = sum(any(simulate(rng, 1.0, threshold, family, 10)[0] == "regression"
                          for _ in range(entries)) for _ in range(suites))
            print(f"A/A suites of {entries}, threshold {threshold:g} %, family of {family}: "
                  f"{hit}/{suites} with a false regression ({100 * hit / suites:.1f} %)")


def power(runs: int = 300) -> None:
    for max_epochs in (4, 6, 8, 10):
        shares = []
        for family in (1, 9):
            rng = np.random.default_rng(5)
            found = [simulate(rng, 0.97, 2.0, family, max_epochs) for _ in range(runs)]
            caught = sum(v == "regression" for v, _ in found) / runs
            shares.append(f"family of {family}: {100 * caught:.1f} % "
                          f"(median {np.median([n for _, n in found]):g} epochs)")
        print(f"3 % slower, at most {max_epochs} epochs: " + "; ".join(shares))


if __name__ == "__main__":
    false_alarms()
    power()
