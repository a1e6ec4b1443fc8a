"""System state during the measured window, sampled once per window with psutil.

Sampling happens in the measuring thread at window boundaries (about once a second), so it
adds no thread competing with the inference loop.  From consecutive samples it derives how
much CPU *other* processes used (system busy time minus this process's own CPU time),
per-core utilisation, peak RSS, swap activity and the spread of CPU frequency.
"""

from __future__ import annotations

import glob
import os
import time
from typing import Any

import psutil

from perfbench.results.types import SystemSummary


#: Fields of psutil's CPU times that are already counted inside ``user``/``nice`` (Linux
#: accounts a guest's time twice), and the idle ones.
_COUNTED_TWICE = ("guest", "guest_nice")
_IDLE = ("idle", "iowait")
#: A core counts as working in an interval when it was busy at least this much of it; only
#: working cores' frequencies say whether the benchmark ran at a varying clock.
BUSY_CORE_FRACTION = 0.5


def _busy(times) -> float:
    fields = times._asdict()
    return sum(v for k, v in fields.items() if k not in _COUNTED_TWICE + _IDLE)


def _total(times) -> float:
    fields = times._asdict()
    return sum(v for k, v in fields.items() if k not in _COUNTED_TWICE)


def _own_cpu(process: psutil.Process) -> float:
    t = process.cpu_times()
    return t.user + t.system


def read_governors() -> list[str]:
    governors = set()
    for path in glob.glob("/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor"):
        try:
            with open(path, encoding="ascii") as handle:
                governors.add(handle.read().strip())
        except OSError:
            continue
    return sorted(governors)


def other_cpu_pct(busy_s: float, own_s: float, capacity_s: float) -> float:
    """CPU other processes used, % of the machine: the system's busy time less ours, over
    the span's seconds × cores (the one definition a run's monitor and an A/B's epochs
    use)."""
    return max(100 * busy_s / capacity_s - 100 * own_s / capacity_s, 0.0)


class OtherLoad:
    """Other processes' CPU since it was made, as % of the machine, ``pids`` (an A/B's
    two workers) counted as ours with this process: over an A/B epoch's rounds."""

    def __init__(self, pids: list[int]) -> None:
        self._processes = [psutil.Process()] + [psutil.Process(p) for p in pids]
        self._cores = psutil.cpu_count(logical=True) or 1
        self._start = self._snapshot()
        self.seconds = 0.0

    def _snapshot(self) -> tuple[float, float, float]:
        own = 0.0
        for process in self._processes:
            try:
                own += _own_cpu(process)
            except psutil.Error:            # a worker that ended: its time is lost
                pass
        return time.monotonic(), _busy(psutil.cpu_times()), own

    def share_pct(self) -> float | None:
        now = self._snapshot()
        seconds = self.seconds = now[0] - self._start[0]     # the span it counted
        if seconds <= 0:
            return None
        return round(other_cpu_pct(now[1] - self._start[1], now[2] - self._start[2],
                                   seconds * self._cores), 1)


class SystemMonitor:
    """Accumulates what happened during the measured spans only (``begin``/``end`` around
    each trial's measured window): compile and warm-up are not the measured window.
    ``sample`` is called at every window boundary in between."""

    def __init__(self) -> None:
        self.process = psutil.Process(os.getpid())
        self.cores = psutil.cpu_count(logical=True) or 1
        self.summary = SystemSummary(memory_total_bytes=psutil.virtual_memory().total,
                                     governors=read_governors())
        self._span: tuple | None = None
        # seconds, busy, own, per-core, swap, steal
        self._totals: list[Any] = [0.0, 0.0, 0.0, None, 0.0, 0.0]
        self._freqs: list[float] = []
        self._last_cores = None

    def _snapshot(self) -> tuple:
        swap = psutil.swap_memory()
        times = psutil.cpu_times()
        return (time.perf_counter(), _busy(times), _own_cpu(self.process),
                psutil.cpu_times(percpu=True), swap.sin + swap.sout,
                getattr(times, "steal", 0.0))

    def begin(self) -> None:
        self._span = self._snapshot()
        self._last_cores = self._span[3]
        self.sample()

    def sample(self) -> None:
        """Record peaks, and the frequency of each core that worked since the last call."""
        s = self.summary
        s.rss_peak_bytes = max(s.rss_peak_bytes, self.process.memory_info().rss)
        s.memory_used_pct_peak = max(s.memory_used_pct_peak, psutil.virtual_memory().percent)
        cores = psutil.cpu_times(percpu=True)
        try:
            freqs = psutil.cpu_freq(percpu=True) or []
        except (OSError, NotImplementedError):  # not exposed on every VM
            freqs = []
        if self._last_cores is not None:
            self._freqs.extend(working_core_frequencies(self._last_cores, cores, freqs))
        self._last_cores = cores

    def end(self) -> None:
        if self._span is None:
            return
        self.sample()
        start, now = self._span, self._snapshot()
        totals = self._totals
        for i in (0, 1, 2, 4, 5):
            totals[i] += now[i] - start[i]
        per_core = [(_busy(b) - _busy(a), _total(b) - _total(a)) for a, b in zip(start[3], now[3])]
        totals[3] = per_core if totals[3] is None else [
            (x + u, y + v) for (x, y), (u, v) in zip(totals[3], per_core)]
        self._span = None

    def summarize(self) -> SystemSummary:
        seconds, busy, own, per_core, swap, steal = self._totals
        s = self.summary
        s.seconds = seconds
        capacity = max(seconds * self.cores, 1e-9)
        s.cpu_total_pct = 100 * busy / capacity
        s.cpu_own_pct = 100 * own / capacity
        s.cpu_other_pct = other_cpu_pct(busy, own, capacity)
        s.cpu_steal_pct = 100 * steal / capacity
        s.per_core_pct = [100 * b / max(t, 1e-9) for b, t in per_core or []]
        s.swap_in_out_bytes = int(swap)
        if self._freqs:
            s.cpu_mhz_min, s.cpu_mhz_max = min(self._freqs), max(self._freqs)
        return s


def working_core_frequencies(before, after, freqs) -> list[float]:
    """The current MHz of each core that was busy ≥ BUSY_CORE_FRACTION between two
    per-core CPU-time readings; idle cores park at low clocks and say nothing of the run."""
    working = []
    for a, b, freq in zip(before, after, freqs):
        span = _total(b) - _total(a)
        if freq.current and span > 0 and (_busy(b) - _busy(a)) / span >= BUSY_CORE_FRACTION:
            working.append(freq.current)
    return working
