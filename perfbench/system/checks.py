"""pyperf-style checks: is the machine making this figure unreliable?  Each failed check
becomes a warning that says what to do about it; all checks are recorded in the JSON."""

from __future__ import annotations


from perfbench.results.types import Check, Estimate, LatencyStats, SystemSummary
from perfbench.stats.support import (TAIL_SAMPLES, samples_needed,  # noqa: F401 (one rule)
                                     unsupported_note)

OTHER_CPU_PCT = 10.0         # CPU used by other processes, % of the machine
STEAL_PCT = 5.0              # CPU time the hypervisor gave to other guests
WINDOW_CV_PCT = 5.0          # variation of FPS between windows
FREQ_SPREAD_PCT = 10.0       # max/min CPU frequency seen during the run
FIRST_INFERENCE_FACTOR = 10  # first inference vs steady-state median
#: Server scenario: issued further behind schedule than this share of the scheduled span
#: at the end, the queue was building (arrivals outpaced completions): overload.
OVERLOAD_SHARE = 0.10
#: A percentile p is only meaningful with TAIL_SAMPLES beyond it: perfbench.stats.support.
#: The measuring thread's CPU time per second of the window, in cores: from here on the
#: Python driver, not the runtime, bounds the FPS (each completion wakes the thread, which
#: shares the cores with inference; see docs/measuring.md, "How precise the figures are").
DRIVER_CPU_SHARE = 0.80
#: Share of the request slots' time with no request in them (between a completion and the
#: restart that the Python thread makes): from here on the driver's wake-ups, not the
#: runtime, bound the FPS.  Measured on a 2-core VM: the tiny conv model left its slots idle
#: 18-23 % at 2 requests and 10-15 % at 8 (where perfbench reached 0.51-0.64 and 0.76-0.85
#: of a C++ loop restarting requests from their callbacks); the built-in model, < 1 %.
IDLE_SLOTS_SHARE = 0.10
#: The drain at the end of a run leaves slots idle by design; it is negligible only when
#: the run is this many mean latencies long or more (else the idle share is not judged).
IDLE_SLOTS_MIN_LATENCIES = 50


def _at_most(name: str, value: float | None, limit: float, remedy) -> Check:
    """The common shape of a check: fine when unmeasured or within ``limit``, else a
    warning whose text ``remedy(value)`` gives."""
    if value is None:
        return Check(name, True, None, limit, "")
    ok = value <= limit
    return Check(name, ok, round(value, 2), limit, "" if ok else remedy(value))


def _other_load(system: SystemSummary) -> Check:
    return _at_most("other_processes_cpu", system.cpu_other_pct, OTHER_CPU_PCT, lambda v: (
        f"other processes used {v:.0f} % of the CPU during the run; stop them, or pin "
        "perfbench to idle cores (taskset)"))


def _steal(system: SystemSummary) -> Check:
    return _at_most("cpu_steal", system.cpu_steal_pct, STEAL_PCT, lambda v: (
        f"the hypervisor gave {v:.0f} % of this VM's CPU time to other guests: the host is "
        "contended; compare alternately with `perfbench ab` rather than run by run, or move "
        "to a dedicated host"))


def _frequency(system: SystemSummary) -> Check:
    lo, hi = system.cpu_mhz_min, system.cpu_mhz_max
    if not lo or not hi:
        return Check("cpu_frequency_spread", True, None, FREQ_SPREAD_PCT, "")
    spread = 100 * (hi - lo) / lo
    ok = spread <= FREQ_SPREAD_PCT
    return Check("cpu_frequency_spread", ok, round(spread, 1), FREQ_SPREAD_PCT,
                 "" if ok else f"CPU frequency varied {lo:.0f}-{hi:.0f} MHz ({spread:.0f} %); "
                 "turbo/power management is changing the speed: use the performance governor "
                 "or disable turbo for stable figures")


def _governor(system: SystemSummary) -> Check:
    if not system.governors:
        return Check("cpu_governor", True, None, "performance", "")
    ok = system.governors == ["performance"]
    return Check("cpu_governor", ok, ",".join(system.governors), "performance",
                 "" if ok else f"CPU frequency governor is {','.join(system.governors)}; "
                 "run `cpupower frequency-set -g performance` for stable figures")


def _swap(system: SystemSummary) -> Check:
    ok = system.swap_in_out_bytes == 0
    return Check("swapping", ok, system.swap_in_out_bytes, 0,
                 "" if ok else f"the system swapped {system.swap_in_out_bytes / 2**20:.0f} MiB "
                 "during the run; free memory or use a smaller batch")


def _window_cv(fps: Estimate | None) -> Check:
    return _at_most("window_cv", fps.cv_pct if fps else None, WINDOW_CV_PCT, lambda v: (
        f"throughput varied {v:.1f} % between 1 s windows; the machine is noisy: check other "
        "load, measure longer / --until-stable, and to compare two versions measure them "
        "alternately with `perfbench ab`"))


def _tail_samples(latency: LatencyStats) -> list[Check]:
    checks = []
    for label, p in (("p99", 99.0), ("p99.9", 99.9)):
        needed = samples_needed(p)
        ok = latency.count >= needed
        checks.append(Check(f"samples_for_{label.replace('.', '_')}", ok, latency.count, needed,
                            "" if ok else f"{unsupported_note(latency.count, p)}: measure "
                            "longer or with -n/--until-stable"))
    return checks


def _first_inference(first_ms: float, latency: LatencyStats) -> Check:
    ratio = first_ms / latency.median if latency.median > 0 else 0.0
    ok = ratio <= FIRST_INFERENCE_FACTOR
    return Check("first_inference_ratio", ok, round(ratio, 1), FIRST_INFERENCE_FACTOR,
                 "" if ok else f"the first inference took {ratio:.0f}x the steady-state median "
                 f"({first_ms:.1f} ms); it is excluded here, but cold-start latency matters "
                 "if your application creates models on demand (see --cache-dir)")


def driver_bound(share: float | None) -> Check:
    """Fails when the measuring thread used at least DRIVER_CPU_SHARE of a core: a small
    model's FPS then says how fast Python restarts requests, not how fast the model runs.
    Unmeasured (sync, server, an empty window): passes with no value.  It catches a
    saturated driver only: on a 2-core VM the tiny model at 2 requests used 0.19-0.33 of a
    core (about 10 us a request) while its request slots sat idle ~20 % of the window."""
    if share is None:
        return Check("driver_cpu_share", True, None, DRIVER_CPU_SHARE, "")
    ok = share < DRIVER_CPU_SHARE
    return Check("driver_cpu_share", ok, round(share, 3), DRIVER_CPU_SHARE, "" if ok else (
        f"perfbench's measuring thread used {100 * share:.0f} % of a core: this FPS is "
        "bounded by the Python driver, not the runtime; more requests in flight "
        "(--requests N); `perfbench sweep --requests ...` finds how many"))


def idle_slots(busy_s: float | None, slots: int, duration_s: float,
               mean_latency_s: float | None) -> Check:
    """Fails when the request slots sat empty at least IDLE_SLOTS_SHARE of the window.

    A slot is busy from a request's start to its completion (OpenVINO's own latency, which
    includes time queued in the plugin); the rest of its time it waits for the Python
    thread to notice the completion and restart it.  The thread's CPU time alone misses
    this: on 2 cores it used only 0.2-0.3 of a core at 2 requests, yet each completion
    waited for it to be scheduled next to the inference threads.  Not judged (passes, no
    value) for an open loop, or a run too short for its drain to be negligible."""
    judged = (busy_s is not None and mean_latency_s and duration_s > 0 and slots > 0
              and duration_s >= IDLE_SLOTS_MIN_LATENCIES * mean_latency_s)
    if not judged:
        return Check("request_slots_idle", True, None, IDLE_SLOTS_SHARE, "")
    idle = round(max(0.0, 1.0 - busy_s / (slots * duration_s)), 6)   # 0.1, not 0.0999…
    ok = idle < IDLE_SLOTS_SHARE
    return Check("request_slots_idle", ok, round(idle, 3), IDLE_SLOTS_SHARE, "" if ok else (
        f"the {slots} request slot{'s' if slots > 1 else ''} sat empty {100 * idle:.0f} % "
        "of the time, waiting for the Python driver to restart them: this FPS is bounded "
        "by the driver, not the runtime; more requests in flight (--requests N); "
        "`perfbench sweep --requests ...` finds how many"))


def run_checks(system: SystemSummary, fps: Estimate | None, latency: LatencyStats,
               first_inference_ms: float, driver_share: float | None = None) -> list[Check]:
    return [_other_load(system), _steal(system), _frequency(system), _governor(system),
            _swap(system), _window_cv(fps), *_tail_samples(latency),
            _first_inference(first_inference_ms, latency),
            driver_bound(driver_share)]



def overload_check(behind_s: float | None, span_s: float | None) -> Check:
    """Server scenario: did completions keep up with arrivals?  When the last arrival was
    issued more than :data:`OVERLOAD_SHARE` of the run behind its schedule, the queue was
    building all along (latency grows with the run's length, not with the machine): the
    rate is above what the device sustains.  Shown as a share of the scheduled span."""
    if behind_s is None or not span_s:
        return Check("server_overload", True, None, 100 * OVERLOAD_SHARE, "")
    share = 100 * behind_s / span_s
    ok = share <= 100 * OVERLOAD_SHARE
    return Check("server_overload", ok, round(share, 1), 100 * OVERLOAD_SHARE,
                 "" if ok else f"overloaded: requests were issued up to {behind_s:.2f} s "
                 f"behind their schedule ({share:.0f} % of the run), so the queue kept "
                 "building and the latencies grow with the run's length; lower --rate, or "
                 "find the highest rate that meets a bound with `perfbench sweep --scenario "
                 "server --sla-ms X`")


def blame_overload(checks: list[Check]) -> list[Check]:
    """When the server was overloaded, a window spread is the growing queue's doing, not
    the machine's: its warning says so instead of calling the machine noisy."""
    if all(c.ok for c in checks if c.name == "server_overload"):
        return checks
    return [Check(c.name, c.ok, c.value, c.threshold,
                  f"throughput varied {c.value:.1f} % between 1 s windows while the server "
                  "was overloaded (see the overload warning); fix the overload before "
                  "judging noise") if c.name == "window_cv" and not c.ok else c
            for c in checks]


def roofline_efficiency(roofline: dict, effective_gflops: float) -> dict:
    """The roofline block with its efficiency for ``effective_gflops``: the result's
    effective GFLOP/s over the block's peak.  The one definition: a run's block, and a
    raced point's over all its epochs (whose FPS is pooled, against the latest epoch's
    peak, the cache's now)."""
    return dict(roofline, efficiency=effective_gflops / roofline["peak_gflops"])


def roofline_check(roofline: dict | None) -> Check | None:
    """An efficiency over 100 % is never printed as if it were true: a failed check."""
    if roofline is None:
        return None
    ok = roofline["efficiency"] <= 1.0
    return Check("roofline_efficiency", ok, round(100 * roofline["efficiency"], 1), 100.0,
                 "" if ok else f"efficiency {100 * roofline['efficiency']:.0f} % exceeds the "
                 f"cached {roofline['precision']} peak ({roofline['peak_gflops']:,.0f} GFLOP/s), "
                 "measured while the host was slower: run `perfbench peak` again on a quiet "
                 "machine, or add --roofline to re-measure it now")
