"""A suite file (TOML): models, each with its own run settings, defaults, and a matrix of
settings every model runs in.  Entries are models × matrix, each named once here.

Everything is validated before anything runs, the way ``perfbench run`` validates its flags
(:func:`perfbench.settings.config.coerce` and ``build_config``), so a value the CLI would
refuse is refused here with the same words.  Layout::

    name = "zoo"            # optional, default: the file's stem
    time_limit = "15m"      # per-entry limit (default 900 s); a model may set its own

    [defaults]              # run settings for every entry
    time = 10

    [matrix]                # every model runs in each combination, outer → inner
    hint = ["throughput", "latency"]

    [[models]]
    model = "conv.xml"      # or "builtin"; a path is relative to the suite file
    name = "conv"           # optional, default: the file's stem
    shape = "[1,224,224,3]"
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfbench.errors import UsageError
from perfbench.settings.config import (BenchmarkConfig, build_config, coerce, merge_layers,
                                       validate)
from perfbench.settings.values import duration
from perfbench.settings.config import SETTINGS
from perfbench.settings.profiles import unknown_key

DEFAULT_TIME_LIMIT_S = 900.0
_TOP_KEYS = ("name", "description", "time_limit", "defaults", "matrix", "models")
_MODEL_KEYS = ("model", "name", "time_limit")
#: Settings a suite entry cannot take: each entry is one result file of one run.
_NOT_IN_SUITE = {"data_shape": "each entry is one result; give one --shape per model",
                 "model": "set the model in [[models]]"}


@dataclass(frozen=True)
class Entry:
    name: str
    model_name: str
    model: str | None               # absolute path, None for the built-in model
    settings: dict                  # what the entry sets (defaults + model + matrix), plain
    time_limit_s: float
    config: BenchmarkConfig

    def run_settings(self) -> dict:
        """The settings of the entry's ``perfbench run``, the model included."""
        return {**self.settings, "model": self.model}


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    path: str
    entries: list[Entry]

    def names(self) -> list[str]:
        return [e.name for e in self.entries]


def entry_name(model_name: str, matrix_values: dict[str, Any]) -> str:
    """The one naming rule: the model's name, then each matrix value in matrix order
    (``conv.bf16.latency``), reduced to characters that are safe in a file name."""
    parts = [model_name, *(_text(v) for v in matrix_values.values())]
    return re.sub(r"[^A-Za-z0-9._=+-]+", "_", ".".join(parts)).strip("._") or "entry"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def load_suite(path: str) -> SuiteSpec:
    """The suite in ``path``, every entry validated; a bad one is one line (UsageError)."""
    file = Path(path)
    data = _read(file)
    where = f"suite {file.name}"
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise unknown_key(where, unknown[0], _TOP_KEYS, "key")
    name = data.get("name", file.stem)
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"{where}: 'name' must be a non-empty string")
    if not isinstance(data.get("description", ""), str):
        raise UsageError(f"{where}: 'description' must be a string")
    limit = _time_limit(data.get("time_limit", DEFAULT_TIME_LIMIT_S), where)
    defaults = _settings(_table(data.get("defaults", {}), "defaults", where),
                         f"{where} [defaults]")
    matrix = _matrix(data.get("matrix"), where)
    models = data.get("models")
    if not isinstance(models, list) or not models or \
            not all(isinstance(m, dict) for m in models):
        raise UsageError(f"{where}: needs at least one [[models]] table")
    entries = [entry for index, model in enumerate(models)
               for entry in _model_entries(model, index, defaults, matrix, limit, file)]
    _check_unique(entries, where)
    return SuiteSpec(name.strip(), str(file), entries)


def _read(file: Path) -> dict:
    if not file.is_file():
        raise UsageError(f"suite file not found: {file}")
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"suite {file.name}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"suite {file.name}: cannot read: {exc.strerror}") from None


def _table(value: Any, key: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise UsageError(f"{where}: '{key}' must be a table")
    return value


def _time_limit(value: Any, where: str) -> float:
    return validate(value, duration, "time_limit", where)


def _settings(table: dict, where: str) -> dict:
    """Run settings, each checked as the CLI checks its flag."""
    for key, why in _NOT_IN_SUITE.items():
        if key in table:
            raise UsageError(f"{where}: '{key}' is not a suite setting ({why})")
    for key in table:
        if key not in SETTINGS:
            raise unknown_key(where, key, SETTINGS)
    return {key: coerce(key, value, where) for key, value in table.items()}


def _matrix(value: Any, where: str) -> dict[str, list]:
    """Setting -> its values; an empty matrix (no key, or a key with no values) is refused:
    it would silently run nothing, or run each model once without the variants asked for."""
    if value is None:
        return {}
    table = _table(value, "matrix", where)
    if not table:
        raise UsageError(f"{where}: [matrix] is empty; give each key a list of values, or "
                         "drop the table")
    matrix = {}
    for key, values in table.items():
        if not isinstance(values, list) or not values:
            raise UsageError(f"{where} [matrix]: '{key}' needs a non-empty list of values")
        if key in _NOT_IN_SUITE:
            raise UsageError(f"{where} [matrix]: '{key}' is not a suite setting "
                             f"({_NOT_IN_SUITE[key]})")
        matrix[key] = [coerce(key, v, f"{where} [matrix]") for v in values]
    return matrix


def _model_entries(model: dict, index: int, defaults: dict, matrix: dict[str, list],
                   default_limit: float, file: Path) -> list[Entry]:
    where = f"suite {file.name} [[models]] #{index + 1}"
    source = model.get("model")
    if not isinstance(source, str) or not source.strip():
        raise UsageError(f"{where}: needs 'model' (a model file, or \"builtin\")")
    path = None if source == "builtin" else _model_path(source, file, where)
    model_name = model.get("name", "builtin" if path is None else Path(path).stem)
    if not isinstance(model_name, str) or not model_name.strip():
        raise UsageError(f"{where}: 'name' must be a non-empty string")
    where = f"suite {file.name} model {model_name!r}"
    own = _settings({k: v for k, v in model.items() if k not in _MODEL_KEYS}, where)
    clash = sorted(set(own) & set(matrix))
    if clash:
        raise UsageError(f"{where}: sets '{clash[0]}', which the [matrix] varies for every "
                         "model; drop one")
    limit = _time_limit(model.get("time_limit", default_limit), where)
    entries = []
    for combination in itertools.product(*matrix.values()):
        values = dict(zip(matrix, combination))
        name = entry_name(model_name.strip(), values)
        settings = merge_layers(defaults, own, values)   # a model's time beats [defaults]'
        try:                                   # cross-field checks, as run's
            config = build_config({**settings, "model": path})
        except UsageError as exc:
            raise UsageError(f"{where}: {exc}") from None
        entries.append(Entry(name, model_name.strip(), path, _plain(settings), limit, config))
    return entries


def _model_path(source: str, file: Path, where: str) -> str:
    path = Path(source).expanduser()
    if not path.is_absolute():
        path = file.resolve().parent / path
    if not path.is_file():
        raise UsageError(f"{where}: model file not found: {source}")
    return str(path)


#: Entry names that would overwrite the suite's own file (a leading '.', a hidden file,
#: never survives :func:`entry_name`).
RESERVED_NAMES = ("suite",)


def _check_unique(entries: list[Entry], where: str) -> None:
    """Each entry writes NAME.json next to suite.json: names must be distinct and leave
    suite.json alone (case-insensitively: some file systems are)."""
    seen: set[str] = set()
    for entry in entries:
        if entry.name.lower() in RESERVED_NAMES:
            raise UsageError(f"{where}: an entry may not be named {entry.name!r} (it would "
                             "overwrite suite.json); give it another 'name'")
        if entry.name.lower() in seen:
            raise UsageError(f"{where}: two entries are named {entry.name!r} (names differing "
                             "only in case share a file on some systems); give the models "
                             "distinct 'name's")
        seen.add(entry.name.lower())


def _plain(settings: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()
            if v is not None}


def select(spec: SuiteSpec, names: list[str]) -> set[str]:
    """The entries ``--select`` names (exact names); an unknown name is refused."""
    known = set(spec.names())
    for name in names:
        if name not in known:
            raise UsageError(f"--select: no entry named {name!r} (entries: "
                             f"{', '.join(spec.names())})")
    return set(names) if names else known
