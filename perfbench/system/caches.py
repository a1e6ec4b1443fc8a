"""The machine's CPU caches, as the kernel describes them (sysfs): read, never assumed."""

from __future__ import annotations

from pathlib import Path

CACHE_DIR = Path("/sys/devices/system/cpu/cpu0/cache")
_SCALE = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def cache_size_bytes(text: str) -> int | None:
    """A sysfs cache size ("32768K", "32M", "512") in bytes; None if it is not one."""
    text = text.strip()
    scale = _SCALE.get(text[-1:].upper(), 1)
    digits = text[:-1] if text[-1:].upper() in _SCALE else text
    return int(digits) * scale if digits.isdigit() else None


def last_level_cache_bytes(directory: Path = CACHE_DIR) -> int | None:
    """The size of cpu0's highest-level data or unified cache, or None where the kernel
    does not say (not Linux, or a VM that hides its caches)."""
    best: tuple[int, int] | None = None
    for index in sorted(directory.glob("index*")):
        try:
            level = int((index / "level").read_text())
            kind = (index / "type").read_text().strip()
            size = cache_size_bytes((index / "size").read_text())
        except (OSError, ValueError):
            continue
        if kind == "Instruction" or not size:
            continue
        if best is None or (level, size) > best:
            best = (level, size)
    return None if best is None else best[1]
