import subprocess
import sys
import time

from perfbench.system.checks import run_checks
from perfbench.system.monitor import SystemMonitor
from perfbench.stats.percentiles import summarize

HOG = "import time\nend = time.time() + 30\nwhile time.time() < end: pass\n"


def _watch(seconds: float):
    monitor = SystemMonitor()
    monitor.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        time.sleep(0.1)
        monitor.sample()
    return monitor.stop()


def test_background_cpu_hog_is_seen_as_other_load():
    """The hog's own CPU time, read from the kernel over the same span, is a lower bound
    for what the monitor must attribute to other processes, however busy the machine is."""
    import psutil
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        process = psutil.Process(hog.pid)
        before = sum(process.cpu_times()[:2])
        summary = _watch(1.5)
        hog_cpu_s = sum(process.cpu_times()[:2]) - before
    finally:
        hog.kill()
        hog.wait()
    hog_pct = 100 * hog_cpu_s / (summary.seconds * summary_cores())
    assert hog_pct > 0
    assert summary.cpu_other_pct >= 0.9 * hog_pct
    assert summary.cpu_own_pct < summary.cpu_other_pct


def summary_cores() -> int:
    import psutil
    return psutil.cpu_count(logical=True)


def test_idle_watch_records_memory_and_cores():
    summary = _watch(0.5)
    assert summary.rss_peak_bytes > 10 * 2**20
    assert len(summary.per_core_pct) == summary_cores()
    assert summary.memory_total_bytes > 0 and 0 < summary.memory_used_pct_peak < 100
