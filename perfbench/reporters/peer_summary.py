"""benchmark_app's summary lines (Count, Duration, Latency Median/Average/Min/Max,
Throughput), for those who read or parse them: the same words, layout and meanings as
OpenVINO's benchmark_app prints (openvino/tools/benchmark/main.py), from a perfbench
result, followed by one line naming perfbench's own headline.

Their meanings are benchmark_app's: Count is the completed requests, Duration the measured
window, Throughput = batch × Count ÷ Duration (ramp-up and drain included: perfbench's
whole-window FPS), and the first latency line the chosen percentile (nearest rank; the
median unless ``-latency_percentile`` says otherwise).
"""

from __future__ import annotations

from perfbench.results.types import PERCENTILES, BenchmarkResult
from perfbench.stats.histogram import LogHistogram
from perfbench.results.metrics import fps_estimate

PREFIX = "[ INFO ] "


def percentile_ms(result: BenchmarkResult, p: float) -> tuple[float, bool]:
    """(latency at percentile ``p``, exact): a percentile perfbench reports is read from
    the result; any other from its latency histogram (nearest rank, within 1 %)."""
    for field, value in PERCENTILES.items():
        if value == p:
            return getattr(result.latency, field), result.latency.exact
    if result.latency_histogram is None:
        raise ValueError(f"percentile {p:g}: this result has no latency histogram; use one of "
                         f"{', '.join(f'{v:g}' for v in PERCENTILES.values())}")
    return LogHistogram.from_dict(result.latency_histogram).percentile(p), False


def lines(result: BenchmarkResult, percentile: float = 50.0) -> list[str]:
    latency = result.latency
    value, exact = percentile_ms(result, percentile)
    label = "Median" if percentile == 50 else f"{percentile:g} percentile"
    approx = "" if exact else " (from the latency histogram, within 1 %)"
    out = [f"Count:            {result.completed_requests} iterations",
           f"Duration:         {result.duration_s * 1e3:.2f} ms",
           "Latency:",
           f"   {label + ':':<15}{value:.2f} ms{approx}",
           f"   {'Average:':<15}{latency.mean:.2f} ms",
           f"   {'Min:':<15}{latency.min:.2f} ms",
           f"   {'Max:':<15}{latency.max:.2f} ms",
           f"Throughput:   {result.fps:.2f} FPS"]
    return [PREFIX + line for line in out] + [headline_note(result)]


def headline_note(result: BenchmarkResult) -> str:
    """benchmark_app's Throughput is the whole window; perfbench's headline is named."""
    value, low, high = fps_estimate(result)
    if result.steady_fps is None and low is None:
        return (f"perfbench: headline FPS {value:,.2f}, the whole window (too short for a "
                "steady state)")
    interval = f" [{low:,.2f}, {high:,.2f}] (95 %)" if low is not None else ""
    return (f"perfbench: headline FPS {value:,.2f}{interval}, steady state (Throughput above "
            "counts the whole window, as benchmark_app does)")
