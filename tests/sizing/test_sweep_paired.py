"""A sweep's paired figures on constructed rounds (the sweep document's ``interleaved``
mode, as sweep files of schema version 1 hold it): ratios, picks, error bars, gains."""

import pytest

from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point, Sweep
from tests.models import synthetic_result


def _synthetic_sweep(rounds: list[dict]) -> Sweep:
    spec = SweepSpec(BenchmarkConfig(), {"requests": [1, 4]})
    points = [Point("default", {}, "done", result=synthetic_result([100.0] * 5)),
              Point("requests=1", {"requests": 1}, "done",
                    result=synthetic_result([103.0] * 5, p99=0.5)),
              Point("requests=4", {"requests": 4}, "done",
                    result=synthetic_result([104.0] * 5, p99=9.0))]
    return Sweep(spec, points, status="complete", mode="interleaved", rounds=rounds,
                 block_s=0.1)


def _rounds(factors: dict[str, list[float]]) -> list[dict]:
    n = len(next(iter(factors.values())))
    return [{"order": list(factors), "fps": {k: 100.0 * v[i] for k, v in factors.items()},
             "blocks": []} for i in range(n)]


def test_the_paired_ratio_is_the_known_ratio_of_constructed_rounds():
    """requests=1 runs at 1.05 × the default in every round but for a wobble made of
    reciprocal pairs (1.02 and 1/1.02 …) under a drift that hits both alike: its ratio is
    1.05 exactly, and the interval is symmetric about it on the log scale."""
    drift = [1.0, 0.7, 1.3, 0.9, 1.1, 0.8, 1.2, 1.0]
    wobble = [1.02, 1 / 1.02, 1.01, 1 / 1.01, 1.03, 1 / 1.03, 1.0, 1.0]
    sweep = _synthetic_sweep(_rounds({"default": drift,
                                      "requests=1": [1.05 * w * d for w, d in zip(wobble, drift)],
                                      "requests=4": [1.04 * d for d in drift]}))
    versus = sweep.versus_default()
    assert versus["requests=1"]["ratio"] == pytest.approx(1.05, rel=1e-12)
    assert versus["requests=1"]["low"] * versus["requests=1"]["high"] == \
        pytest.approx(1.05 ** 2, rel=1e-12)
    assert versus["requests=1"]["low"] < 1.05 / 1.01 and versus["requests=1"]["rounds"] == 8
    # no wobble at all: every round says 1.04, and so does the estimate
    assert versus["requests=4"]["ratio"] == pytest.approx(1.04, rel=1e-12)


def test_picks_use_the_paired_interval():
    """requests=1 is 1 % behind the top in every round (a tight paired tie): it wins on
    latency; when its paired ratio scatters ±8 % it cannot win, whatever its mean."""
    drift = [1.0, 0.7, 1.3, 0.9, 1.1, 0.8, 1.2, 1.0]          # hits every point alike
    wobble = [1.000, 1.004, 0.996, 1.002, 0.998, 1.005, 0.995, 1.000]
    tight = _synthetic_sweep(_rounds({"default": drift,
                                      "requests=1": [1.03 * w * d for w, d in zip(wobble, drift)],
                                      "requests=4": [1.04 * d for d in drift]}))
    pick = tight.conclusions()["recommendations"]["best_throughput"]
    assert pick["key"] == "requests=1" and "tied" in pick["why"]
    assert pick["fps_vs_default_paired"]["ratio"] == pytest.approx(1.03, rel=1e-3)
    scatter = [1.11, 0.95, 1.10, 0.96, 1.12, 0.94, 1.09, 0.97]
    loose = _synthetic_sweep(_rounds({"default": drift,
                                      "requests=1": [s * d for s, d in zip(scatter, drift)],
                                      "requests=4": [1.04 * d for d in drift]}))
    assert loose.conclusions()["recommendations"]["best_throughput"]["key"] == "requests=4"


def test_error_bars_are_the_paired_interval_in_an_interleaved_sweep():
    from perfbench.reporters.sweep_report import _error_bars
    drift = [1.0, 0.7, 1.3, 0.9, 1.1, 0.8, 1.2, 1.0]
    wobble = [1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00]
    sweep = _synthetic_sweep(_rounds({"default": drift,
                                      "requests=1": [1.03 * w * d for w, d in zip(wobble, drift)],
                                      "requests=4": [1.04 * d for d in drift]}))
    ratio = sweep.versus_default()["requests=1"]
    document = sweep.result()
    low, high = _error_bars(document, list(document.points[1:2]), [200.0])
    assert low[0] == pytest.approx(200.0 * (1 - ratio["low"] / ratio["ratio"]))
    assert high[0] == pytest.approx(200.0 * (ratio["high"] / ratio["ratio"] - 1))
    assert low[0] > 0 and high[0] > 0


def test_precision_gains_are_paired_ratios_to_f32():
    spec = SweepSpec(BenchmarkConfig(), {"precision": ["f32", "int8"]})
    points = [Point("default", {}, "done", result=synthetic_result([100.0] * 5)),
              Point("precision=f32", {"precision": "f32"}, "done",
                    result=synthetic_result([90.0] * 5)),
              Point("precision=int8", {"precision": "int8"}, "done",
                    result=synthetic_result([180.0] * 5))]
    drift = [1.0, 0.8, 1.2, 0.9, 1.1, 1.0]
    wobble = [1.00, 1.01, 1 / 1.01, 1.00, 1.02, 1 / 1.02]    # reciprocal pairs: mean 1
    rounds = []
    for d, w in zip(drift, wobble):
        fps = {"default": 100 * d, "precision=f32": 90 * d, "precision=int8": 180 * d * w}
        p99 = {"default": 10 / d, "precision=f32": 11 / d, "precision=int8": 5.5 / d}
        rounds.append({"order": list(fps), "fps": fps,
                       "blocks": [{"key": k, "p99_ms": p99[k]} for k in fps]})
    sweep = Sweep(spec, points, status="complete", mode="interleaved", rounds=rounds)
    (gain,) = sweep.conclusions()["precision_gains"]
    assert gain["precision"] == "int8" and gain["settings"] == {}
    assert gain["fps_ratio"]["ratio"] == pytest.approx(2.0, rel=1e-12)    # 180 / 90
    assert gain["fps_ratio"]["low"] < gain["fps_ratio"]["ratio"] < gain["fps_ratio"]["high"]
    assert gain["p99_ratio"]["ratio"] == pytest.approx(0.5)


def test_precision_gains_of_a_sequential_sweep_come_from_each_points_interval():
    from perfbench.results import from_document
    from tests.models import synthetic_document

    def with_interval(fps, low, high, p99):
        doc = synthetic_document([fps], p99=p99)
        doc["precision"] = {"fps_windows": {"value": fps, "ci95_low": low, "ci95_high": high,
                                            "n": 10, "cv_pct": 2.0}}
        return from_document(doc, "synthetic")
    spec = SweepSpec(BenchmarkConfig(), {"precision": ["f32", "bf16"]})
    f32 = with_interval(100.0, 98.0, 102.0, 10.0)
    bf16 = with_interval(300.0, 291.0, 309.0, 5.0)
    points = [Point("precision=f32", {"precision": "f32"}, "done", result=f32),
              Point("precision=bf16", {"precision": "bf16"}, "done", result=bf16)]
    (gain,) = Sweep(spec, points, status="complete").conclusions()["precision_gains"]
    # 300 / 100, with independent ±3 % and ±2 % intervals combined in quadrature on the log
    # scale: 3 × exp(√(ln²1.03 + ln²1.02)) = 3 × exp(0.035579) = 3.10866 (worked by hand)
    assert gain["fps_ratio"]["ratio"] == pytest.approx(3.0)
    assert gain["fps_ratio"]["high"] == pytest.approx(3.10866, rel=1e-5)
    assert gain["fps_ratio"]["low"] == pytest.approx(3 / 1.036220, rel=1e-5)
    # synthetic p99 = 100 × p99 / FPS: 100 × 5 / 300 against 100 × 10 / 100
    assert gain["p99_ratio"]["ratio"] == pytest.approx(1 / 6)
