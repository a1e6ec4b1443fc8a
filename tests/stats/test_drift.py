"""The live drift warning on synthetic windows with known answers."""

import numpy as np
import pytest

from perfbench.stats.drift import drift_pct


def _noisy(level, n, cv, seed):
    return list(level * (1 + cv * np.random.default_rng(seed).standard_normal(n)))


def test_a_steady_run_rarely_warns():
    """Looked at after each of 30 windows: at most 2 % of 500 steady runs warn at all."""
    warned = sum(any(drift_pct(rates[:k]) is not None for k in range(1, 31))
                 for rates in (_noisy(100.0, 30, 0.05, seed) for seed in range(500)))
    assert warned <= 10


def test_a_step_down_warns_with_its_size_and_sign():
    rates = _noisy(100.0, 12, 0.02, 1) + _noisy(80.0, 3, 0.02, 2)
    assert drift_pct(rates[:-3]) is None
    assert drift_pct(rates) == pytest.approx(-20.0, abs=3.0)
    assert drift_pct(rates[:-3] + _noisy(120.0, 3, 0.02, 3)) == pytest.approx(20.0, abs=3.0)


def test_a_move_within_the_jitter_is_not_drift():
    """Windows that jitter ±30 % (as on the project's VMs) do not flag a 10 % move."""
    rates = _noisy(100.0, 12, 0.30, 4) + [90.0, 91.0, 89.0]
    assert drift_pct(rates) is None


def test_too_few_windows():
    assert drift_pct([100.0, 50.0, 50.0, 50.0]) is None
