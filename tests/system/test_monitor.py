import subprocess
import sys
import time

from perfbench.system.checks import run_checks
from perfbench.system.monitor import SystemMonitor
from perfbench.stats.percentiles import summarize

HOG = "import time\nend = time.time() + 30\nwhile time.time() < end: pass\n"


def _watch(seconds: float, read=lambda: 0.0):
    """The monitor's summary of a span of ``seconds``, and how much ``read()`` grew from
    just after the span began to just before it ended (inside it, however long the
    process waits for a core around those reads)."""
    monitor = SystemMonitor()
    monitor.begin()
    first = read()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        time.sleep(0.1)
        monitor.sample()
    grown = read() - first
    monitor.end()
    return monitor.summarize(), grown


#: /proc/stat counts the machine's CPU time in 10 ms ticks, a process's own time is exact:
#: the two may disagree by a few ticks.
TICKS_S = 0.05


def test_background_cpu_hog_is_seen_as_other_load():
    """The hog's own CPU time, read from the kernel inside the monitored span, is a lower
    bound for what the monitor must attribute to other processes, however busy the machine
    is.  (Read around the span, the hog's CPU while this process waited for a core just
    before the span began or after it ended counted against the monitor, and only a 10 %
    margin absorbed it.)"""
    import psutil
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        process = psutil.Process(hog.pid)
        summary, hog_cpu_s = _watch(1.5, lambda: sum(process.cpu_times()[:2]))
    finally:
        hog.kill()
        hog.wait()
    other_cpu_s = summary.cpu_other_pct / 100 * summary.seconds * summary_cores()
    assert hog_cpu_s > 0
    assert other_cpu_s >= 0.9 * hog_cpu_s - TICKS_S
    assert summary.cpu_own_pct < summary.cpu_other_pct


def summary_cores() -> int:
    import psutil
    return psutil.cpu_count(logical=True)


def test_idle_watch_records_memory_and_cores():
    summary, _ = _watch(0.5)
    assert summary.rss_peak_bytes > 10 * 2**20
    assert len(summary.per_core_pct) == summary_cores()
    assert summary.memory_total_bytes > 0 and 0 < summary.memory_used_pct_peak < 100


def _times(**fields):
    """A per-core CPU-times record as psutil returns on Linux (guest inside user)."""
    import collections
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest",
             "guest_nice")
    return collections.namedtuple("scputimes", names)(**{n: fields.get(n, 0.0) for n in names})


def test_guest_time_is_not_counted_twice():
    """Linux counts a guest's time inside user: 10 s user of which 4 s guest is 10 s busy."""
    from perfbench.system.monitor import _busy, _total
    times = _times(user=10.0, guest=4.0, idle=6.0)
    assert _busy(times) == 10.0 and _total(times) == 16.0


def test_frequency_spread_comes_from_working_cores_only():
    """An idle core parked at 800 MHz while the benchmark's cores ran at 3,000 MHz is no
    frequency variation of the run."""
    import collections
    from perfbench.system.monitor import working_core_frequencies
    freq = collections.namedtuple("scpufreq", "current min max")
    before = [_times(user=0.0, idle=0.0), _times(user=0.0, idle=0.0)]
    after = [_times(user=0.9, idle=0.1), _times(user=0.05, idle=0.95)]
    assert working_core_frequencies(before, after, [freq(3000.0, 0, 0), freq(800.0, 0, 0)]) \
        == [3000.0]


def test_only_the_measured_spans_are_accounted():
    """Work done between spans (compile, warm-up) stays out of the summary."""
    import psutil
    from perfbench.system.monitor import SystemMonitor
    monitor = SystemMonitor()
    monitor.begin()
    monitor.end()
    own = sum(psutil.Process().cpu_times()[:2])
    # Busy outside any span until this process has burned 0.2 s of CPU, however little of
    # it a loaded machine gives per second (bounded, so a starved run still ends).
    give_up = time.monotonic() + 120
    while sum(psutil.Process().cpu_times()[:2]) - own < 0.2 and time.monotonic() < give_up:
        sum(range(10_000))
    burned = sum(psutil.Process().cpu_times()[:2]) - own
    monitor.begin()
    monitor.end()
    summary = monitor.summarize()
    assert burned > 0.1
    assert summary.cpu_own_pct * summary.seconds * monitor.cores / 100 < burned / 2


def test_an_ab_epochs_other_load_is_the_monitors_definition():
    """Other processes' CPU is defined once (``monitor.other_cpu_pct``: the machine's busy
    time less ours, over seconds × cores): the A/B runner's per-epoch load is the monitor's
    ``OtherLoad``, not a copy of its arithmetic."""
    from perfbench.runner import ab
    from perfbench.system import monitor
    assert ab.OtherLoad is monitor.OtherLoad
    assert monitor.other_cpu_pct(3.0, 1.0, 4.0) == 50.0
    assert monitor.other_cpu_pct(1.0, 1.5, 4.0) == 0.0          # ours counted twice: none


def test_other_load_counts_a_hog_that_is_not_ours():
    """The load an A/B epoch records: a busy process that is not one of its workers shows
    as other processes' CPU, at least the hog's own CPU time (10 ms ticks aside)."""
    import psutil
    from perfbench.system.monitor import OtherLoad
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        process = psutil.Process(hog.pid)
        load = OtherLoad([])
        first = sum(process.cpu_times()[:2])    # read inside the span the load counts
        time.sleep(1.0)
        hog_cpu_s = sum(process.cpu_times()[:2]) - first
        share = load.share_pct()
    finally:
        hog.kill()
        hog.wait()
    assert share is not None and hog_cpu_s > 0 and load.seconds >= 1.0
    other_cpu_s = share / 100 * summary_cores() * load.seconds
    assert other_cpu_s >= 0.9 * hog_cpu_s - TICKS_S - 0.001 * summary_cores() * load.seconds
