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

import psutil

from perfbench.results.types import SystemSummary


def _busy(times) -> float:
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


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


class SystemMonitor:
    def __init__(self) -> None:
        self.process = psutil.Process(os.getpid())
        self.cores = psutil.cpu_count(logical=True) or 1
        self.summary = SystemSummary(memory_total_bytes=psutil.virtual_memory().total,
                                     governors=read_governors())
        self._start: tuple | None = None
        self._freqs: list[float] = []

    def _snapshot(self) -> tuple:
        swap = psutil.swap_memory()
        return (time.perf_counter(), _busy(psutil.cpu_times()), _own_cpu(self.process),
                psutil.cpu_times(percpu=True), swap.sin + swap.sout)

    def start(self) -> None:
        self._start = self._snapshot()
        self.sample()

    def sample(self) -> None:
        """Record peaks now; call at every window boundary."""
        s = self.summary
        s.rss_peak_bytes = max(s.rss_peak_bytes, self.process.memory_info().rss)
        s.memory_used_pct_peak = max(s.memory_used_pct_peak, psutil.virtual_memory().percent)
        try:
            freqs = psutil.cpu_freq(percpu=True) or []
        except (OSError, NotImplementedError):  # not exposed on every VM
            freqs = []
        self._freqs.extend(f.current for f in freqs if f.current)

    def stop(self) -> SystemSummary:
        if self._start is None:
            return self.summary
        self.sample()
        t0, busy0, own0, cores0, swap0 = self._start
        t1, busy1, own1, cores1, swap1 = self._snapshot()
        s = self.summary
        s.seconds = t1 - t0
        capacity = max(s.seconds * self.cores, 1e-9)
        s.cpu_total_pct = 100 * (busy1 - busy0) / capacity
        s.cpu_own_pct = 100 * (own1 - own0) / capacity
        s.cpu_other_pct = max(s.cpu_total_pct - s.cpu_own_pct, 0.0)
        s.per_core_pct = [100 * (_busy(b) - _busy(a)) / max(sum(b) - sum(a), 1e-9)
                          for a, b in zip(cores0, cores1)]
        s.swap_in_out_bytes = int(swap1 - swap0)
        if self._freqs:
            s.cpu_mhz_min, s.cpu_mhz_max = min(self._freqs), max(self._freqs)
        return s
