"""Hardware sizing: the grid of settings to try, and what to conclude from the results.

Pure functions over plain data, so the search rules and the recommendations are tested on
constructed numbers; :mod:`sweeprun` runs the points.

Grid order is outer → inner as in :data:`GRID_KEYS`; the innermost swept dimension among
batch/requests/streams is the one that *grows*.  Like Model Analyzer, growing stops early
along a line (all other settings fixed) once throughput gains stay under a few percent for
two steps, or, when batch or requests grow, once the latency bound is already broken (more
images or queued requests per stream only add latency).  Growing streams can *lower*
latency (requests queued behind one stream run in parallel on two), so a broken bound does
not stop a streams line: on the 2-core machine, 4 requests went from p99 62.8 ms on one
stream to 48.9 ms on two.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

from perfbench.settings.config import GRID_KEYS

GROWING = ("batch", "requests", "streams")
LATENCY_GROWING = ("batch", "requests")
DEFAULT_GAIN_CUTOFF_PCT = 3.0
#: FPS within this of the highest is a tie, settled by latency (a gain under the cut-off
#: is not worth a longer tail either).
TIE_PCT = DEFAULT_GAIN_CUTOFF_PCT


def expand(grid: dict[str, list]) -> list[dict]:
    """Every combination, outer keys varying slowest."""
    keys = [k for k in GRID_KEYS if k in grid]
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def point_key(settings: dict) -> str:
    return ",".join(f"{k}={settings[k]}" for k in GRID_KEYS if k in settings) or "default"


def growing_key(grid: dict[str, list]) -> str | None:
    swept = [k for k in GRID_KEYS if k in GROWING and len(grid.get(k, [])) > 1]
    return swept[-1] if swept else None


def line_of(settings: dict, grow: str | None) -> str:
    return point_key({k: v for k, v in settings.items() if k != grow})


def cut_off_reason(history: list[tuple[float, float | None]], sla_ms: float | None,
                   gain_cutoff_pct: float = DEFAULT_GAIN_CUTOFF_PCT,
                   latency_grows: bool = True) -> str | None:
    """Why to stop growing a line, given its (fps, latency at the SLA percentile) so far;
    ``latency_grows`` says whether the growing dimension can only add latency."""
    if not history:
        return None
    if latency_grows and sla_ms is not None and history[-1][1] is not None and \
            history[-1][1] > sla_ms:
        return f"latency bound already broken ({history[-1][1]:.1f} ms > {sla_ms:g} ms)"
    if len(history) >= 3:
        gains = [100 * (history[i][0] / history[i - 1][0] - 1) for i in (-2, -1)]
        if all(g < gain_cutoff_pct for g in gains):
            return f"throughput gains flattened ({gains[0]:+.1f} %, {gains[1]:+.1f} %)"
    return None


@dataclass(frozen=True)
class PointSummary:
    """The figures the analysis needs from one finished point."""

    key: str
    settings: dict
    fps: float
    latency_ms: float          # at the SLA percentile (p99 unless told otherwise)
    fps_low: float | None = None    # 95 % CI of FPS, where the run had one
    fps_high: float | None = None
    #: Its precision's fidelity against f32, higher is better in each dimension (top-1
    #: agreement where the model is a classifier, SQNR with identical as infinite:
    #: :func:`perfbench.sizing.fidelity.vector`); empty when the sweep measured none.
    fidelity: tuple[float, ...] = ()

    @property
    def has_interval(self) -> bool:
        return self.fps_low is not None and self.fps_high is not None


#: The lower end of the 95 % interval of FPS(p) / FPS(top), or None when nothing says how
#: far off ``p`` may be.  Sequential sweeps judge p's own interval against top's figure;
#: raced sweeps pair the two by epochs of fresh workers (:mod:`perfbench.sizing.race_sweep`).
RatioLow = Callable[["PointSummary", "PointSummary"], "float | None"]


def unpaired_ratio_low(point: PointSummary, top: PointSummary) -> float | None:
    return point.fps_low / top.fps if point.has_interval and top.fps > 0 else None


def ties(point: PointSummary, top: PointSummary, ratio_low: RatioLow) -> bool:
    """``point`` is practically as fast as ``top``: even the low end of its interval is
    within TIE_PCT of top.  A point whose interval is wider than that gap (or that has
    none) does not tie, so it can never win the tie-break on latency."""
    low = ratio_low(point, top)
    return low is not None and low >= 1 - TIE_PCT / 100


def dominates(q: PointSummary, p: PointSummary) -> bool:
    """``q`` is at least as good as ``p`` in every dimension (FPS, latency, and each
    fidelity dimension) and better in one.  Where one has fidelity figures and the other
    none (its precision could not be measured), they are not comparable: a faster point
    whose answers are unknown does not push the reference's off the front, nor the
    other way round."""
    if len(q.fidelity) != len(p.fidelity):
        return False
    mine, theirs = q.fidelity, p.fidelity
    better_or_equal = (q.fps >= p.fps and q.latency_ms <= p.latency_ms and
                       all(a >= b for a, b in zip(mine, theirs)))
    strictly = (q.fps > p.fps or q.latency_ms < p.latency_ms or
                any(a > b for a, b in zip(mine, theirs)))
    return better_or_equal and strictly


def pareto(points: list[PointSummary]) -> list[str]:
    """Keys not dominated in (higher FPS, lower latency, higher fidelity where measured),
    ordered by latency: with fidelity, a slower f32 point stays on the front beside a
    faster int8 one that changes answers."""
    front = [p for p in points if not any(dominates(q, p) for q in points)]
    return [p.key for p in sorted(front, key=lambda p: (p.latency_ms, -p.fps))]


def _pick(point: PointSummary | None, baseline: PointSummary | None, why: str) -> dict | None:
    if point is None:
        return None
    pick = {"key": point.key, "settings": point.settings, "fps": point.fps,
            "latency_ms": point.latency_ms, "why": why}
    if baseline is not None:
        pick["fps_vs_default_pct"] = 100 * (point.fps / baseline.fps - 1)
        pick["latency_vs_default_pct"] = 100 * (point.latency_ms / baseline.latency_ms - 1)
    return pick


#: A pick's record (key, settings, FPS, latency, why, change against the default).
pick_of = _pick


def best_throughput(points: list[PointSummary], label: str,
                    ratio_low: RatioLow = unpaired_ratio_low) -> tuple[PointSummary | None, str]:
    """The highest FPS; but among the points that tie with it (:func:`ties`), the one
    with the lowest latency: a +1 % FPS that is within noise is not worth a doubled tail."""
    top = max(points, key=lambda p: p.fps, default=None)
    if top is None:
        return None, ""
    tied = [top] + [p for p in points if p is not top and ties(p, top, ratio_low)]
    pick = min(tied, key=lambda p: (p.latency_ms, -p.fps))
    if pick is top:
        unsure = "" if top.has_interval else " (no interval: too short to tie-break)"
        return top, f"highest FPS{unsure}"
    low = ratio_low(pick, top)
    return pick, (f"FPS tied with the highest, {top.key} at {top.fps:,.1f} (95 % low end "
                  f"{100 * (low - 1):+.1f} %, within {TIE_PCT:g} %); lowest {label} among "
                  "the tied")


def recommend(points: list[PointSummary], baseline: PointSummary | None,
              sla_ms: float | None, percentile: float,
              ratio_low: RatioLow = unpaired_ratio_low) -> dict:
    label = f"p{percentile:g}"
    best_latency = min(points, key=lambda p: p.latency_ms, default=None)
    fastest, why = best_throughput(points, label, ratio_low)
    picks = {"best_throughput": _pick(fastest, baseline, why),
             "best_latency": _pick(best_latency, baseline, f"lowest {label} latency")}
    if sla_ms is not None:
        within = [p for p in points if p.latency_ms <= sla_ms]
        pick, why = best_throughput(within, label, ratio_low)
        picks["best_under_sla"] = _pick(pick, baseline, f"{why}, with {label} ≤ {sla_ms:g} ms")
    return picks


def sizing(pick: dict | None, target_fps: float | None, cores: int) -> dict | None:
    """Machines of this kind needed for ``target_fps`` at the recommended setting."""
    if pick is None or pick["fps"] <= 0:
        return None
    plan = {"fps_per_machine": pick["fps"], "fps_per_core": pick["fps"] / cores,
            "cores_per_machine": cores, "from": pick["key"], "target_fps": target_fps}
    if target_fps is not None:
        plan["machines"] = math.ceil(target_fps / pick["fps"])
    return plan
