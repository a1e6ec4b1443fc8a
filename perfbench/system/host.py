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
             "amx_int8": "amx_int8", "amx_fp16": "amx_fp16",
             # aarch64 ("Features"): scalable vectors, bf16 and int8 matrix multiply, dot product
             "sve": "sve", "sve2": "sve2", "bf16": "arm_bf16", "i8mm": "i8mm",
             "asimddp": "dotprod"}
#: The tier named in the class: the best feature present, in this order.
TIERS = (("amx", ("amx_bf16", "amx_int8")), ("avx512bf16", ("avx512_bf16",)),
         ("avx512vnni", ("avx512_vnni",)), ("avx512", ("avx512",)),
         ("avxvnni", ("avx_vnni",)), ("avx2", ("avx2",)),
         ("sve2", ("sve2",)), ("sve", ("sve",)), ("dotprod", ("dotprod",)))
#: aarch64 has no "model name" line: its CPU is named from "CPU implementer" and "CPU part",
#: as lscpu does (the common server parts; others by their numbers).
ARM_IMPLEMENTERS = {"0x41": "ARM", "0x48": "HiSilicon", "0x4e": "NVIDIA", "0x50": "APM",
                    "0x51": "Qualcomm", "0x61": "Apple", "0xc0": "Ampere"}
ARM_PARTS = {("0x41", "0xd08"): "Cortex-A72", ("0x41", "0xd0b"): "Cortex-A76",
             ("0x41", "0xd0c"): "Neoverse-N1", ("0x41", "0xd40"): "Neoverse-V1",
             ("0x41", "0xd49"): "Neoverse-N2", ("0x41", "0xd4f"): "Neoverse-V2",
             ("0x41", "0xd84"): "Neoverse-V3", ("0x41", "0xd8e"): "Neoverse-N3",
             ("0x48", "0xd01"): "Kunpeng-920", ("0xc0", "0xac3"): "Ampere-1",
             ("0xc0", "0xac4"): "Ampere-1a"}
#: Installed memory sizes (GiB) a class is named by: powers of two and 1.5 times them.
MEMORY_SIZES_GIB = sorted({2**k for k in range(16)} | {3 * 2**k for k in range(15)})
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
    cpu, vendor = fields.get("model name", ""), fields.get("vendor_id", "")
    if not cpu and "CPU implementer" in fields:
        cpu, vendor = _arm_name(fields["CPU implementer"].lower(),
                                fields.get("CPU part", "?").lower())
    return {"cpu": cpu, "vendor": vendor,
            "cpu_family": _int(fields.get("cpu family")), "cpu_model": _int(fields.get("model")),
            "flags": set((fields.get("flags") or fields.get("Features", "")).split())}


def _arm_name(implementer: str, part: str) -> tuple[str, str]:
    """("ARM Neoverse-N1", "ARM"); an unknown part keeps its number, an unknown maker both."""
    vendor = ARM_IMPLEMENTERS.get(implementer)
    if vendor is None:
        return f"aarch64 {implementer} {part}", ""
    return f"{vendor} {ARM_PARTS.get((implementer, part), part)}", vendor


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
    memory = f"-{installed_gib(memory_bytes)}g" if memory_bytes else ""
    return f"{slug}-{logical_cores or 0}c-{tier}{memory}"


def installed_gib(memory_bytes: int) -> int:
    """The installed size a machine's visible memory comes from: the smallest usual size
    (a power of two, or 1.5 times one) at or above 97 % of it.  Firmware and kernel keep
    2-10 % of the installed memory, so identical machines show slightly different totals
    (15.49 and 15.51 GiB of a 16 GiB machine): plain rounding split them into two classes."""
    visible = 0.97 * memory_bytes / 2**30
    return next((size for size in MEMORY_SIZES_GIB if size >= visible), MEMORY_SIZES_GIB[-1])


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
