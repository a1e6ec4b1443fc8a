"""The suite loop: each entry in its own process, in file order, ``suite.json`` rewritten
atomically after every entry, so a crash or a stop loses nothing that finished.

``--resume`` keeps an entry whose complete result is there and whose model and settings
are unchanged; ``--select`` runs a subset (the rest are marked skipped); ``--budget``
spreads the time left over the entries left, capping each entry's measuring time.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from perfbench.errors import UsageError
from perfbench.results.io import load
from perfbench.results.suite import SuiteDocument
from perfbench.suite import process
from perfbench.suite.document import (FINAL, SuiteFile, document, headline, pending_record,
                                      result_provenance)
from perfbench.suite.spec import Entry, SuiteSpec
from perfbench.suite.document import read_suite

#: Start-up, compile and write per entry, assumed until an entry has shown its own.
DEFAULT_OVERHEAD_S = 15.0
MIN_CAP_S = 1.0


#: The message of an entry ``--select`` left out (a fleet's resume reads it: such a suite
#: is "partial" and still done).
NOT_SELECTED = "not selected (--select)"


@dataclass
class SuiteRun:
    spec: SuiteSpec
    out_dir: Path
    records: dict[str, dict]
    budget_s: float | None = None
    started: float = 0.0
    interrupted: bool = False
    overheads: list[float] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)     # records kept from an earlier run
    file: SuiteFile | None = None

    def document(self, **extra) -> SuiteDocument:
        return document(self.spec.name, [self.records[n] for n in self.spec.names()],
                        self.interrupted, **extra)

    def save(self, **extra) -> SuiteDocument:
        """The document, written to suite.json (or, on a full disk, to a fallback)."""
        doc = self.document(**extra)
        if self.file is None:
            self.file = SuiteFile(str(self.out_dir / "suite.json"))
        self.file.write(doc)
        return doc


def start(spec: SuiteSpec, out_dir: str, previous: SuiteDocument | None,
          budget_s: float | None = None, selected: set[str] | None = None,
          resume: bool = True) -> SuiteRun:
    """Records for every entry: pending, or kept from ``previous``.  A selected entry is
    kept only on ``--resume`` (its result complete); an entry ``--select`` leaves out keeps
    its earlier record (a re-run of one entry leaves the others' records as they were)."""
    selected = set(spec.names()) if selected is None else selected
    old = {r.name: r.record() for r in (previous.entries if previous else ())}
    records, kept = {}, set()
    for entry in spec.entries:
        record = old.get(entry.name)
        usable = record is not None and _same(record, entry) and \
            (record["status"] != "ok" or _reusable(record, out_dir))
        keep = usable and (record["status"] == "ok" and resume if entry.name in selected
                           else record["status"] in FINAL)
        records[entry.name] = record if keep else pending_record(entry)
        if keep:
            kept.add(entry.name)
    return SuiteRun(spec, Path(out_dir), records, budget_s, kept=kept)


def _reusable(record: dict, out_dir: str) -> bool:
    return record.get("status") == "ok" and bool(record.get("file")) and \
        os.path.isfile(os.path.join(out_dir, record["file"]))


def _same(record: dict, entry: Entry) -> bool:
    return record.get("settings") == entry.settings and \
        record.get("model_path") == (entry.model or "builtin")


def resume_notes(spec: SuiteSpec, previous: SuiteDocument, out_dir: str) -> list[str]:
    """What --resume keeps, drops and must re-run, as a sweep names a changed grid."""
    old = {r.name: r.record() for r in previous.entries}
    names = set(spec.names())
    dropped = sorted(n for n in old if n not in names)
    changed = sorted(e.name for e in spec.entries if e.name in old and
                     _reusable(old[e.name], out_dir) and not _same(old[e.name], e))
    kept = sum(1 for e in spec.entries if e.name in old and _reusable(old[e.name], out_dir)
               and _same(old[e.name], e))
    notes = [f"{kept} entries kept"]
    if dropped:
        notes.append(f"no longer in the suite (dropped): {', '.join(dropped)}")
    if changed:
        notes.append(f"settings changed, re-run: {', '.join(changed)}")
    return notes


def load_previous(out_dir: str) -> SuiteDocument:
    if not os.path.isfile(os.path.join(out_dir, "suite.json")):
        raise UsageError(f"--resume: {out_dir} has no suite.json; nothing to resume")
    return read_suite(out_dir, "--resume")


def run_suite(run: SuiteRun, selected: set[str], stop_event: threading.Event,
              on_entry: Callable[[int, int, Entry, SuiteRun], None] | None = None,
              command_for: Callable[[str, str], list[str]] = process.run_command,
              clock: Callable[[], float] = time.monotonic) -> SuiteRun:
    """Every entry not done yet, in order; a stop leaves the rest pending."""
    run.started = clock()
    todo = [e for e in run.spec.entries if e.name not in run.kept]
    for index, entry in enumerate(todo):
        record = run.records[entry.name]
        if entry.name not in selected:
            record.update(status="skipped", message=NOT_SELECTED)
            continue
        if stop_event.is_set():
            run.interrupted = True
            break
        cap = _cap(run, len([e for e in todo[index:] if e.name in selected]), clock)
        if cap is not None and cap <= 0:
            record.update(status="skipped", message="the --budget was spent before it ran")
            continue
        if on_entry is not None:
            on_entry(index, len(todo), entry, run)
        _run_one(run, entry, cap, stop_event, command_for)
        if record["status"] == "interrupted":
            record.update(status="pending", message="interrupted")
            run.interrupted = True
        run.save()
    run.save()
    return run


def _cap(run: SuiteRun, left: int, clock) -> float | None:
    """The measuring time this entry may take: the budget left over the entries left, less
    what an entry costs besides measuring (the mean so far).  None without a budget."""
    if run.budget_s is None:
        return None
    remaining = run.budget_s - (clock() - run.started)
    if remaining <= 0:
        return 0.0
    overhead = sum(run.overheads) / len(run.overheads) if run.overheads else DEFAULT_OVERHEAD_S
    return max(MIN_CAP_S, remaining / max(left, 1) - overhead)


def capped_settings(settings: dict, cap: float | None, limit_s: float | None) -> dict:
    """The entry's settings with its measuring time at most ``cap`` seconds in all: each
    of its ``repeat`` trials gets its share (``limit_s`` is one trial's limit)."""
    per_trial = None if cap is None else cap / max(int(settings.get("repeat") or 1), 1)
    if per_trial is None or (limit_s is not None and limit_s <= per_trial):
        return dict(settings)
    capped = dict(settings)
    if capped.get("until_stable") is not None:
        capped["max_time"] = per_trial
    else:
        capped["time"] = per_trial
    return capped


def _run_one(run: SuiteRun, entry: Entry, cap: float | None, stop_event,
             command_for) -> None:
    record = run.records[entry.name]
    out = run.out_dir / f"{entry.name}.json"
    profile = run.out_dir / ".settings" / f"{entry.name}.toml"
    try:              # a full disk fails this entry, in one line; the suite goes on
        profile.parent.mkdir(parents=True, exist_ok=True)
        process.write_profile(capped_settings(entry.run_settings(), cap,
                                              entry.config.time_limit_s), str(profile))
        if out.exists():
            out.unlink()
        outcome = process.run_entry(command_for(str(profile), str(out)),
                                    str(run.out_dir / f"{entry.name}.log"),
                                    entry.time_limit_s, stop_event, lambda: _complete(out))
    except OSError as exc:
        record.update(status="failed", file=None, headline=None, wall_s=None,
                      message=f"could not write {exc.filename or run.out_dir}: "
                              f"{exc.strerror or exc}")
        return
    record.update(status=outcome.status, message=outcome.message, wall_s=outcome.wall_s,
                  file=out.name if out.exists() else None, headline=None)
    record.pop("history", None)          # a new result: not in any history yet
    if outcome.status == "ok":
        result = load(str(out))
        record["headline"] = headline(result, outcome.peak_rss_mb)
        record["provenance"] = result_provenance(result)
        run.overheads.append(max(outcome.wall_s - result.duration_s, 0.0))


def _complete(path: Path) -> bool:
    try:
        return load(str(path)).status == "complete"
    except (UsageError, OSError):
        return False
