"""Which machine a result came from, and which hardware class it belongs to.

Sizing across machines merges results per *hardware class*: machines that should perform
alike.  The class is derived from what changes inference speed: the CPU model, its
logical cores, the widest matrix/vector features (AMX, AVX-512 BF16/VNNI, AVX2) and the
memory size, e.g. ``intel-xeon-platinum-8480-16c-amx-64g``.  ``--label NAME`` overrides it
(a cloud instance type, say), since two instance types can share a CPU.
"""

from __future__ import annotations

import platform
import re

import psutil

#: cpuinfo flag -> the name results use, for the features that change inference speed.
ISA_FLAGS = {"avx2": "avx2", "avx512f": "avx512", "avx512_bf16": "avx512_bf16",
             "avx512_vnni": "avx512_vnni", "avx_vnni": "avx_vnni", "amx_bf16": "amx_bf16",
             "amx_int8": "amx_int8", "amx_fp16": "amx_fp16"}
#: The tier named in the class: the best feature present, in this order.
TIERS = (("amx", ("amx_bf16", "amx_int8")), ("avx512bf16", ("avx512_bf16",)),
         ("avx512vnni", ("avx512_vnni",)), ("avx512", ("avx512",)),
         ("avxvnni", ("avx_vnni",)), ("avx2", ("avx2",)))
_NOISE = re.compile(r"\((r|tm)\)|\bcpu\b|\bprocessor\b|@.*$|\d+-core|\bwith\b.*$", re.I)


def parse_cpuinfo(text: str) -> dict:
    """The first processor's model name, family, model number, vendor and flags."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return {"cpu": fields.get("model name", ""), "vendor": fields.get("vendor_id", ""),
            "cpu_family": _int(fields.get("cpu family")), "cpu_model": _int(fields.get("model")),
            "flags": set(fields.get("flags", "").split())}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _cpuinfo() -> dict:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            return parse_cpuinfo(handle.read())
    except OSError:
        return {"cpu": platform.processor() or platform.machine(), "vendor": "",
                "cpu_family": None, "cpu_model": None, "flags": set()}


def hardware_class(cpu: str, logical_cores: int | None, isa: list[str],
                   memory_bytes: int | None) -> str:
    """A short, stable name for machines that should perform alike."""
    name = _NOISE.sub(" ", cpu.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", name).strip("-") or "cpu"
    tier = next((t for t, needs in TIERS if any(n in isa for n in needs)), "base")
    memory = f"-{round((memory_bytes or 0) / 2**30)}g" if memory_bytes else ""
    return f"{slug}-{logical_cores or 0}c-{tier}{memory}"


def describe_host(devices: list[str], openvino: str, label: str | None = None,
                  cpuinfo: dict | None = None) -> dict:
    info = cpuinfo or _cpuinfo()
    isa = sorted(name for flag, name in ISA_FLAGS.items() if flag in info["flags"])
    logical, physical = psutil.cpu_count(logical=True), psutil.cpu_count(logical=False)
    memory = psutil.virtual_memory().total
    derived = hardware_class(info["cpu"], logical, isa, memory)
    return {"hostname": platform.node(), "cpu": info["cpu"], "vendor": info["vendor"],
            "cpu_family": info["cpu_family"], "cpu_model": info["cpu_model"],
            "physical_cores": physical, "logical_cores": logical, "isa": isa,
            "memory_bytes": memory, "openvino": openvino, "devices": devices,
            "hardware_class": label or derived, "derived_class": derived,
            "labelled": label is not None}
