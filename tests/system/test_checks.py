from perfbench.system.checks import run_checks, samples_needed
from perfbench.system.monitor import SystemSummary
from perfbench.stats.intervals import Estimate
from perfbench.stats.percentiles import summarize


def _failed(checks):
    return {c.name: c for c in checks if not c.ok}


def test_quiet_machine_passes_everything():
    latency = summarize(range(1, 20_001))
    checks = run_checks(SystemSummary(seconds=10, cpu_other_pct=1.0),
                        Estimate(100, 99, 101, 20, 1.0), latency, first_inference_ms=30_000)
    assert _failed(checks) == {}


def test_constructed_bad_conditions_each_raise_a_warning_with_a_remedy():
    system = SystemSummary(seconds=10, cpu_other_pct=40.0, swap_in_out_bytes=50 * 2**20,
                           cpu_mhz_min=1500, cpu_mhz_max=3500, governors=["powersave"])
    latency = summarize([10.0] * 50)
    failed = _failed(run_checks(system, Estimate(100, 90, 110, 5, 12.0), latency, 900.0))
    assert set(failed) == {"other_processes_cpu", "swapping", "cpu_frequency_spread",
                           "cpu_governor", "window_cv", "samples_for_p99",
                           "samples_for_p99_9", "first_inference_ratio"}
    assert "taskset" in failed["other_processes_cpu"].message
    # the one wording of stats.support, as the table and the HTML page say it
    assert "p99 from 50 samples is not a p99 (needs 1,000)" in \
        failed["samples_for_p99"].message
    assert "performance" in failed["cpu_governor"].message
    assert "90x" in failed["first_inference_ratio"].message


def test_samples_needed():
    assert samples_needed(99) == 1000 and samples_needed(99.9) == 10_000
    assert samples_needed(50) == 20


def test_steal_time_is_checked_with_a_remedy():
    from perfbench.results.types import SystemSummary
    from perfbench.stats.percentiles import summarize
    from perfbench.system.checks import run_checks
    stolen = SystemSummary(seconds=10, cpu_steal_pct=12.0)
    check = next(c for c in run_checks(stolen, None, summarize(range(20_000)), 1.0)
                 if c.name == "cpu_steal")
    assert not check.ok and check.value == 12.0 and "perfbench ab" in check.message
    calm = SystemSummary(seconds=10, cpu_steal_pct=0.5)
    assert next(c for c in run_checks(calm, None, summarize(range(20_000)), 1.0)
                if c.name == "cpu_steal").ok


def test_steal_is_measured_over_the_span():
    from perfbench.system.monitor import SystemMonitor
    monitor = SystemMonitor()
    monitor.begin()
    monitor.end()
    assert monitor.summarize().cpu_steal_pct >= 0.0


def _driver_check(cpu_s, wall_s):
    from perfbench.results.types import cpu_share
    from perfbench.system.checks import driver_bound
    return driver_bound(cpu_share(cpu_s, wall_s))


def test_driver_bound_rule_on_injected_cpu_times():
    """The measuring thread's CPU seconds over the window's wall seconds: at 80 % of one
    core or more, the FPS is the Python driver's, and the check says what to do."""
    below = _driver_check(7.9, 10.0)
    assert below.ok and below.value == 0.79 and below.message == ""
    at = _driver_check(8.0, 10.0)
    assert not at.ok and at.value == 0.8 and at.threshold == 0.8
    assert "--requests N" in at.message and "perfbench sweep --requests" in at.message
    assert "80 % of a core" in at.message
    above = _driver_check(9.9, 10.0)
    assert not above.ok and "99 %" in above.message


def test_driver_bound_passes_unmeasured_or_on_an_empty_window():
    for cpu_s, wall_s in ((0.5, 0.0), (None, 10.0)):
        check = _driver_check(cpu_s, wall_s)
        assert check.ok and check.value is None and check.name == "driver_cpu_share"


def test_run_checks_includes_the_driver_bound_check():
    latency = summarize(range(1, 20_001))
    checks = run_checks(SystemSummary(seconds=10), None, latency, 1.0, driver_share=0.93)
    assert set(_failed(checks)) == {"driver_cpu_share"}
    quiet = run_checks(SystemSummary(seconds=10), None, latency, 1.0)
    assert next(c for c in quiet if c.name == "driver_cpu_share").value is None
def test_overload_is_its_own_warning_and_not_blamed_on_the_machine():
    """`--rate 1000000` (median latency 1 s) was reported as "the machine is noisy": a queue
    that keeps building is overload, with its own remedy, and the window spread it causes
    is not the machine's noise."""
    from perfbench.system.checks import OVERLOAD_SHARE, blame_overload, overload_check
    latency = summarize([10.0] * 50)
    noisy = run_checks(SystemSummary(seconds=2), Estimate(100, 60, 140, 5, 30.0), latency, 1.0)
    assert "machine is noisy" in _failed(noisy)["window_cv"].message
    overloaded = overload_check(behind_s=1.8, span_s=2.0)
    assert not overloaded.ok and overloaded.value == 90.0
    assert "--rate" in overloaded.message and "sweep --scenario server" in overloaded.message
    checks = blame_overload(noisy + [overloaded])
    window = _failed(checks)["window_cv"]
    assert "machine" not in window.message and "overload" in window.message
    assert overload_check(behind_s=0.01, span_s=2.0).ok
    assert overload_check(behind_s=OVERLOAD_SHARE * 2.0, span_s=2.0).ok
    assert blame_overload(noisy) == noisy


def test_idle_request_slots_rule_on_injected_times():
    """Slots busy 85 % of a 10 s window with 2 requests: 15 % idle, the driver bounds the
    FPS; 95 % busy passes.  Too short a run for its drain, or an open loop: not judged."""
    from perfbench.system.checks import idle_slots
    fires = idle_slots(busy_s=17.0, slots=2, duration_s=10.0, mean_latency_s=1e-4)
    assert not fires.ok and fires.value == 0.15 and fires.threshold == 0.10
    assert "sat empty 15 %" in fires.message and "--requests N" in fires.message
    at = idle_slots(busy_s=18.0, slots=2, duration_s=10.0, mean_latency_s=1e-4)
    assert not at.ok and at.value == 0.1
    quiet = idle_slots(busy_s=19.0, slots=2, duration_s=10.0, mean_latency_s=1e-4)
    assert quiet.ok and quiet.value == 0.05 and quiet.message == ""
    short = idle_slots(busy_s=1.0, slots=2, duration_s=10.0, mean_latency_s=0.3)
    assert short.ok and short.value is None                 # 10 s < 50 latencies of 0.3 s
    assert idle_slots(None, 2, 10.0, None).value is None
