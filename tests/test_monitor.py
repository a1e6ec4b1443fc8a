import subprocess
import sys
import time

from perfbench.checks import run_checks
from perfbench.monitor import SystemMonitor
from perfbench.stats import summarize

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
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        time.sleep(0.3)
        summary = _watch(1.5)
    finally:
        hog.kill()
        hog.wait()
    # one busy core of the machine's cores is ~100/cores % of the machine
    assert summary.cpu_other_pct > 100 / summary_cores() * 0.6
    assert summary.cpu_own_pct < 10
    failed = [c for c in run_checks(summary, None, summarize(range(20_000)), 1.0) if not c.ok]
    assert [c.name for c in failed] == ["other_processes_cpu"]


def summary_cores() -> int:
    import psutil
    return psutil.cpu_count(logical=True)


def test_idle_watch_records_memory_and_cores():
    summary = _watch(0.5)
    assert summary.rss_peak_bytes > 10 * 2**20
    assert len(summary.per_core_pct) == summary_cores()
    assert summary.memory_total_bytes > 0 and 0 < summary.memory_used_pct_peak < 100
