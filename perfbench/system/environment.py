"""Where a result was measured: without this a figure cannot be compared with another."""

from __future__ import annotations

import datetime
import os
import platform

import openvino as ov
import psutil

from perfbench import __version__


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> dict:
    memory = psutil.virtual_memory()
    return {
        "perfbench": __version__,
        "openvino": ov.get_version(),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cpu_logical_cores": psutil.cpu_count(logical=True),
        "cpu_physical_cores": psutil.cpu_count(logical=False),
        "memory_total_bytes": memory.total,
        "os": platform.platform(),
        "hostname": platform.node(),
        "pid": os.getpid(),
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
