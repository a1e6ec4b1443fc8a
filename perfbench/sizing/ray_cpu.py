"""Ray's own CPU use on a node while a fleet task measures there: the processes that are
Ray's (matched exactly, not by a mention on a command line) and the CPU seconds they grew
by, so a fleet result states the share of the node the cluster took from the benchmark."""

from __future__ import annotations

import os

#: Ray's own processes, whose CPU share a node task records, matched exactly: the names of
#: its binaries, the ``ray::`` title its workers and agents set, and its Python scripts
#: by their path inside the ray package.
RAY_PROCESS_NAMES = ("raylet", "gcs_server")
RAY_TITLE = "ray::"
RAY_SCRIPTS = ("ray/_private/log_monitor.py", "ray/autoscaler/_private/monitor.py",
               "ray/dashboard/dashboard.py", "ray/dashboard/agent.py",
               "ray/_private/runtime_env/agent/main.py", "ray/_private/workers/default_worker.py",
               "ray/util/client/server/server.py")


def ray_cpu_by_process(psutil) -> dict[int, float]:
    """CPU seconds of each live Ray process (not this one), by pid."""
    out = {}
    me = os.getpid()
    for proc in psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
        try:
            if proc.info["pid"] != me and is_ray_process(proc.info["name"] or "",
                                                         proc.info["cmdline"] or []):
                times = proc.info["cpu_times"]
                out[proc.info["pid"]] = times.user + times.system
        except (psutil.Error, TypeError, AttributeError):
            continue
    return out


def ray_cpu_seconds(psutil) -> float:
    return sum(ray_cpu_by_process(psutil).values())


def ray_cpu_grown(psutil, before: dict[int, float]) -> float:
    """Ray's CPU seconds since ``before``, per process: one that exited meanwhile takes
    its whole CPU time with it, and a difference of totals then went negative."""
    after = ray_cpu_by_process(psutil)
    return sum(max(cpu - before.get(pid, 0.0), 0.0) for pid, cpu in after.items())


def is_ray_process(name: str, cmdline: list[str]) -> bool:
    """Exactly Ray's: a Ray binary by name, a ``ray::`` process title, or a Ray script by
    its path in the ray package; not any process whose command line mentions one."""
    if name in RAY_PROCESS_NAMES or name.startswith(RAY_TITLE):
        return True
    if cmdline and cmdline[0].startswith(RAY_TITLE):
        return True
    return any(arg.replace("\\", "/").endswith("/" + script)
               for arg in cmdline[1:3] for script in RAY_SCRIPTS)
