"""Named TOML profiles: saved sets of ``perfbench run`` settings.

A profile is a flat TOML table whose keys are ``run`` settings (the long option names with
``-`` written ``_``), plus an optional ``description``.  Built-in profiles live in the
``perfbench.settings.builtin_profiles`` package (the repository's top-level ``profiles/`` links
there), so an installed copy has them too.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from perfbench.settings.config import GRID_KEYS, SETTINGS, SWEEP_OPTIONS, coerce
from perfbench.errors import UsageError


def unknown_key(where: str, key: str, known, what: str = "setting") -> UsageError:
    """The error for a key a file may not hold: the nearest known one when there is a
    close one ("did you mean 'time'?"), else the whole list."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(known))}"
    return UsageError(f"{where}: unknown {what} '{key}' ({hint})")


@dataclass(frozen=True)
class Profile:
    name: str
    path: str
    description: str
    settings: dict[str, Any]


def builtin_dir():
    """The built-in profiles: package data, the same in a checkout and an installed wheel."""
    return resources.files("perfbench.settings.builtin_profiles")


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in builtin_dir().iterdir() if p.name.endswith(".toml"))


def _locate(name_or_path: str):
    if not name_or_path.strip() or "\x00" in name_or_path:
        raise UsageError(f"--profile: expected a profile name or path, got {name_or_path!r:.40}")
    if name_or_path.endswith(".toml") or "/" in name_or_path or "\\" in name_or_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise UsageError(f"profile file not found: {name_or_path}")
        return path
    candidate = builtin_dir() / f"{name_or_path}.toml"
    if not candidate.is_file():
        raise UsageError(f"unknown profile {name_or_path!r}; built-in profiles: "
                         f"{', '.join(builtin_names())} (or give a path to a .toml file)")
    return candidate


def read_profile(name_or_path: str) -> tuple[Path, str, str, dict[str, Any]]:
    """(path, label for messages, description, raw TOML table) of a profile."""
    path = _locate(name_or_path)
    label = f"profile {path.name}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{label}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{label}: cannot read: {exc.strerror}") from None
    description = data.pop("description", "")
    if not isinstance(description, str):
        raise UsageError(f"{label}: 'description' must be a string")
    return path, label, description, data


def kind_of(data: dict[str, Any]) -> str:
    """"sweep" for a profile with sweep options or lists on sweep dimensions, else "run"
    (a list on any other key is then a bad value, and says so)."""
    if set(data) & set(SWEEP_OPTIONS) or any(
            isinstance(value, list) for key, value in data.items() if key in GRID_KEYS):
        return "sweep"
    return "run"


def load_profile(name_or_path: str) -> Profile:
    path, label, description, data = read_profile(name_or_path)
    if kind_of(data) == "sweep":
        raise UsageError(f"{label}: a sweep profile (it has lists or sweep options); use "
                         f"`perfbench sweep --profile {name_or_path}`")
    for key in data:
        if key not in SETTINGS:
            raise unknown_key(label, key, SETTINGS)
    settings = {key: coerce(key, value, label) for key, value in data.items()}
    return Profile(path.stem, str(path), description, settings)
