"""A suite as an upgrade check: every entry an interleaved A/B (:mod:`perfbench.runner.ab`,
its calibrated two-level intervals and epochs), the budget spread over the entries (each
stops early once decided, leaving its time to the next), and the geomean ratio over the
entries, both about these models (fixed) and about models like them (random), with the
spread between models (:mod:`perfbench.stats.geomean`).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from perfbench.files import fallback_path, write_json
from perfbench.results.ab import ABResult
from perfbench.results.ab_fidelity import ABFidelity
from perfbench.results.attribution import Attribution
from perfbench.results.interval import Interval
from perfbench.results.suite import (ABBlock, ABSummary, Geomean, Judged, SuiteDocument,
                                     TopCause)
from perfbench.runner.ab import DEFAULT_MAX_TIME_S, ABRun, document, run_ab
from perfbench.runner.attribute import (DEFAULT_EPOCHS, DEFAULT_ROUNDS, MIN_PROFILE_S,
                                        attribution, profile_pass)
from perfbench.runner.ab_fidelity import fidelity_pass, skipped_fidelity
from perfbench.runner.reproducer import write_reproducer
from perfbench.stats.geomean import fixed_models, log_variance, random_models
from perfbench.stats.sequential import final_level
from perfbench.suite.document import document as suite_document
from perfbench.suite.document import SuiteFile, geomean_figure, pending_record
from perfbench.suite.spec import Entry, SuiteSpec
from perfbench.tracking.verdict import geomean_verdict

#: An entry is given at least this many epochs' time (each: measuring plus about this much
#: starting and compiling two workers), however tight the budget: the calibrated interval
#: needs two epochs at least, and one epoch alone gives no ratio.
MIN_EPOCHS = 3
EPOCH_SETUP_S = 5.0


def entry_row(name: str, doc: ABResult, status: str = "ok",
              reproducer: str | None = None) -> ABSummary:
    """The entry's ratio with its 95 % interval (the run's descriptive FPS ratio, which the
    geomean combines), the verdict the A/B took once, when it stopped, and the interval and
    level that verdict was judged on (its family's, wider than 95 %), as the A/B stored
    them: read here, once, from the entry's A/B document."""
    fps = doc.ratios.get("fps")
    judged = doc.verdict_interval
    return ABSummary(
        name, doc.verdict,
        None if fps is None else Interval.of(fps.ratio, fps.low, fps.high, fps.level or 0.95),
        getattr(fps, "dof", None), getattr(fps, "epochs", None), doc.stop_reason,
        doc.judged_metric,
        None if doc.judged_level is None else
        Judged(None if judged is None else judged.ratio, None if judged is None else judged.low,
               None if judged is None else judged.high, doc.judged_level),
        doc.family_size,
        {side: (info or {}).get("openvino") for side, info in doc.sides.items()},
        status, *_attributed(doc.attribution), *_answers(doc.fidelity), reproducer)


def _answers(block: ABFidelity | None) -> tuple[str | None, str | None, tuple]:
    """``--fidelity``: the answers' verdict, the pass's error and the regressed figures,
    as the entry's A/B document stored them; None (and none) when not asked for."""
    if block is None:
        return None, None, ()
    return (block.verdict, block.error,
            tuple(block.judged.regressions) if block.judged is not None else ())


def _attributed(block: Attribution | None
                ) -> tuple[str | None, str | None, TopCause | None]:
    """The attribution pass's status, its error, and its first node (ranked by
    contribution) as the entry's top cause; all None when it was not asked for."""
    if block is None:
        return None, None, None
    nodes = block.table.nodes if block.table is not None else ()
    top = None
    if nodes:
        first = nodes[0]
        delta = first.change.delta
        top = TopCause(first.name, first.type,
                       Interval.of(delta.value, delta.low, delta.high, delta.level or 0.95),
                       first.change.share_pct, tuple(first.changes),
                       first.change.beyond_level)
    return block.status, block.error, top


def attribute(run: ABRun, base: dict, new: dict, pythons, options: dict,
              stop_event: threading.Event) -> tuple[Attribution, dict | None]:
    """``--attribute``: both sides profiled after the verdict, in their own workers and
    interleaved (:mod:`perfbench.runner.attribute`), a separate pass that is never part of
    the verdict; the A/B document's ``attribution`` block, and the pass's measurement (for
    the reproducer; None when it failed).  A pass that fails is said in the block (status
    ``failed`` and its error); the entry's verdict stands."""
    try:
        measured = profile_pass(base, new, pythons,
                                options.get("attribute_rounds") or DEFAULT_ROUNDS,
                                max(run.block_s or 0.0, MIN_PROFILE_S), stop_event,
                                epochs=options.get("attribute_epochs") or DEFAULT_EPOCHS,
                                controls=run.controls)
    except Exception as exc:        # a worker that died while profiling
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        return Attribution.failed(first[:300]), None
    found = attribution(measured)
    if found is None or found.table is None:    # nothing timed: no reproducer to write
        return found or Attribution.failed(
            "no profiling round completed",
            "interrupted" if measured["status"] == "interrupted" else "failed"), None
    return found, measured


def reproducer_dir(out: Path, entry: str) -> Path:
    """``--attribute-out``: where an entry's reproducer goes, beside its A/B document."""
    return out / f"{entry}.reproducer"


def _reproduce(out: Path, name: str, doc: ABResult, measured: dict | None) -> str:
    """The entry's reproducer, as ``ab --attribute-out`` writes one: ``written``, or
    ``not written: …`` (said on stderr too; the entry's summary keeps it and the gate
    fails, as ``ab``'s exit status does).  It costs neither the verdict nor the suite:
    any error is kept, since the entries after this one must still run."""
    if measured is None:
        return "not written: no profiling round completed"
    try:
        write_reproducer(str(reproducer_dir(out, name)), doc, measured,
                         f"perfbench suite --ab --attribute-out reproducer of entry {name}")
    except Exception as exc:        # a full disk, a graph the runtime cannot cut, …
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        print(f"perfbench: --attribute-out failed for {name}: {first}", file=sys.stderr)
        return f"not written: {first}"[:300]
    return "written"


def _usable(row: ABSummary) -> bool:
    ratio = row.ratio
    return row.status == "ok" and ratio is not None and bool(ratio.value) and \
        bool(ratio.low) and bool(ratio.high) and row.judged_metric in (None, "fps")


def geomean_block(rows: list[ABSummary], threshold_pct: float,
                  family_size: int = 1) -> Geomean | None:
    """The geomean over the entries that finished (status ok) and were judged on FPS: a
    failed or interrupted entry's partial ratio is no answer about its model, and a server
    entry's FPS ratio is its schedule's (about 1 whatever the speed; judged on latency);
    those are listed in ``excluded``.

    Its verdict is one more test of the suite's gate, so it is judged at the family's
    level, as each entry at its planned length (1 − 5 %/m, ``judged_level``), not at a
    plain 95 %: at 95 %, 5.2 % of 500 simulated A/A suites of nine exited 1 at threshold
    0.  The gate's rate is then at most (m + 1)/m × 5 % (Bonferroni), and measured in
    ``benchmarks/ab_review.py``.  The block's own interval stays the descriptive 95 %."""
    usable = [r for r in rows if _usable(r)]
    excluded = tuple(r.name for r in rows if r not in usable)
    if not usable:
        return None
    ratios = [r.ratio for r in usable if r.ratio is not None]
    logs = [math.log(r.value) for r in ratios]
    variances = [log_variance(r.low, r.high, row.dof) for r, row in zip(ratios, usable)]
    dofs = [r.dof for r in usable]
    rand = random_models(logs)
    level = final_level(family_size)
    fixed, judged = (fixed_models(logs, variances, dofs),
                      fixed_models(logs, variances, dofs, level))
    assert fixed is not None and judged is not None          # usable is not empty
    return geomean_figure(fixed, excluded=excluded,
                          verdict=geomean_verdict(judged.to_dict(), threshold_pct),
                          random=geomean_figure(rand) if rand else None,
                          judged=Judged(judged.ratio, judged.ci_low, judged.ci_high, level))


#: Epochs an entry needs before being one of a family costs little power: in
#: ``benchmarks/ab_family.py`` a 3 % slowdown was caught in 97 % of runs as one of nine with
#: 8 epochs available (99 % alone), but in 71 % with 6 and 25 % with 4.
FULL_POWER_EPOCHS = 8


def budget_note(budget_s: float | None, entries: int, epoch_s: float,
                dimensioned: bool = False) -> str | None:
    """A warning when the budget leaves each entry too few epochs to decide a small change
    as one of ``entries`` (the family's stricter levels need more of them).  Dimensioned
    epochs are sized per entry as it starts, so the count is at the default length, and
    says so."""
    if budget_s is None or entries <= 1:
        return None
    epochs = budget_s / entries / (epoch_s + EPOCH_SETUP_S)
    if epochs >= FULL_POWER_EPOCHS:
        return None
    enough = _minutes(entries * FULL_POWER_EPOCHS * (epoch_s + EPOCH_SETUP_S))
    length = (f"at the default {epoch_s:g} s each; an entry whose noise is known sizes "
              "its own" if dimensioned else f"at {epoch_s:g} s each")
    return (f"the budget leaves each of the {entries} entries about {epochs:.1f} epochs "
            f"({length}); judged as one of {entries}, an entry needs about "
            f"{FULL_POWER_EPOCHS} to catch a 3 % change reliably (--budget {enough} or more, "
            "or fewer entries with --select): small changes may end inconclusive")


def _minutes(seconds: float) -> str:
    return f"{-(-seconds // 60):.0f}m"


def entry_time(budget_s: float | None, elapsed_s: float, left: int, epoch_s: float) -> float:
    """This entry's share of the budget left (at least MIN_EPOCHS epochs), or the A/B's
    own default without a budget."""
    if budget_s is None:
        return DEFAULT_MAX_TIME_S
    return max(MIN_EPOCHS * (epoch_s + EPOCH_SETUP_S), (budget_s - elapsed_s) / max(left, 1))


def run_suite_ab(spec: SuiteSpec, out_dir: str, selected: set[str],
                 sides: dict[str, tuple[dict, dict]], pythons: tuple[str, str],
                 options: dict, stop_event: threading.Event,
                 on_entry: Callable[[int, int, Entry, float], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 previous: SuiteDocument | None = None,
                 file: SuiteFile | None = None) -> SuiteDocument:
    """Each selected entry's A/B, one after the other.  The suite fails if any of them
    says regression, so they are judged as one family (its size: the entries selected).
    ``previous`` (``--ab --resume``): its finished entries are kept, with their rows."""
    out = Path(out_dir)
    file = file or SuiteFile(str(out / "suite.json"))
    records, rows = _kept(spec, out, previous, bool(options.get("fidelity")))
    started = clock()
    family = [e for e in spec.entries if e.name in selected]
    todo = [e for e in family if records[e.name]["status"] != "ok"]
    options = dict(options, family_size=len(family))
    for e in spec.entries:
        if e.name not in selected and records[e.name]["status"] != "ok":
            records[e.name].update(status="skipped", message="not selected (--select)")
    for index, entry in enumerate(todo):
        if stop_event.is_set():
            break
        share = entry_time(options.get("budget_s"), clock() - started, len(todo) - index,
                           options["epoch_s"])
        if on_entry is not None:
            on_entry(index, len(todo), entry, share)
        _one(entry, sides[entry.name], pythons, share, options, stop_event, out,
             records[entry.name], rows)
        _save(spec, records, rows, options, file, stop_event.is_set())
    return _save(spec, records, rows, options, file, stop_event.is_set())


def _kept(spec: SuiteSpec, out: Path, previous: SuiteDocument | None,
          fidelity: bool = False) -> tuple[dict, list[ABSummary]]:
    """Pending records for every entry, but for a resumed directory's finished ones (same
    settings, their A/B document still there, and, with ``--fidelity``, their answers
    compared), which keep their record and row: an entry measured without the pass would
    otherwise pass the gate with its answers never compared."""
    old = {r.name: r.record() for r in (previous.entries if previous else ())}
    old_rows = {r.name: r for r in (previous.ab.entries if previous and previous.ab
                                    else ())}
    records: dict[str, dict] = {}
    rows: list[ABSummary] = []
    for entry in spec.entries:
        record = old.get(entry.name)
        keep = record is not None and record["status"] == "ok" and \
            record.get("settings") == entry.settings and entry.name in old_rows and \
            bool(record.get("file")) and (out / record["file"]).is_file() and \
            (not fidelity or old_rows[entry.name].fidelity not in (None, "interrupted"))
        records[entry.name] = record if keep else pending_record(entry)
        if keep:
            rows.append(old_rows[entry.name])
    return records, rows


def _one(entry: Entry, side: tuple[dict, dict], pythons, share: float, options: dict,
         stop_event, out: Path, record: dict, rows: list[ABSummary]) -> None:
    base, new = side
    run = ABRun(settings={"common": entry.settings, "base": base, "new": new},
                threshold_pct=options["threshold"], max_time_s=share,
                epoch_s=options["epoch_s"], family_size=options["family_size"],
                dimension=options.get("dimension", False))
    if options.get("controls"):
        run.controls = options["controls"]
    began = time.monotonic()
    failure = None
    try:
        run_ab(base, new, pythons, run, stop_event=stop_event)
    except Exception as exc:       # a worker that died, a model the runtime refused
        failure = exc
        lines = [line for line in str(exc).strip().splitlines() if line.strip()]
        record.update(status="failed", wall_s=time.monotonic() - began,
                      message=(lines[-1] if lines else type(exc).__name__)[:300])
        if not run.rounds:
            return
    measured = None
    if options.get("attribute") and run.rounds and record["status"] != "failed" and \
            run.status != "interrupted" and not stop_event.is_set():
        run.attribution, measured = attribute(run, base, new, pythons, options, stop_event)
    if options.get("fidelity") and run.rounds and record["status"] != "failed" and \
            run.status != "interrupted" and not stop_event.is_set():
        run.fidelity = fidelity_pass(base, new, pythons, options.get("fidelity_samples"),
                                     options["fidelity_thresholds"], stop_event)
    elif options.get("fidelity") and run.rounds:      # asked, and skipped: said so, as ab
        run.fidelity = skipped_fidelity(stop_event.is_set(), failure)
    doc = document(run)
    record.update(file=_write_entry(out / f"{entry.name}.json", doc, record),
                  wall_s=time.monotonic() - began)
    reproducer = (_reproduce(out, entry.name, doc, measured)
                  if options.get("attribute_out") and run.attribution is not None else None)
    unanswered = options.get("fidelity") and record["status"] != "failed" and (
        run.fidelity is None or run.fidelity.status == "interrupted")
    if run.status == "interrupted" or unanswered:       # resumed, never passed unasked
        said = record.get("message")
        record.update(status="pending",
                      message=f"interrupted; {said}" if said else "interrupted")
    elif record["status"] != "failed":
        record.update(status="ok")
    record["provenance"] = {"openvino": sorted({(s or {}).get("openvino") for s in
                                                doc.sides.values()} - {None})}
    rows.append(entry_row(entry.name, doc, record["status"], reproducer))


def _write_entry(path: Path, doc: ABResult, record: dict) -> str | None:
    """The entry's A/B document; on a full disk, in a fallback file that its record names
    (its epochs are kept, and the suite goes on).  Its file name in DIR, else None."""
    try:
        write_json(str(path), doc.to_dict())
        return path.name
    except OSError as exc:
        fallback = fallback_path(f"suite-{path.stem}")
        try:
            write_json(fallback, doc.to_dict())
            kept = f"it is saved in {fallback}"
        except OSError:
            kept = "nor in a fallback file"
        print(f"perfbench: could not write {path}: {exc.strerror or exc}; {kept}",
              file=sys.stderr)
        record.update(message=f"could not write {path.name} ({exc.strerror or exc}); {kept}",
                      fallback=fallback)
        return None


def _save(spec, records, rows, options, file: SuiteFile, interrupted: bool) -> SuiteDocument:
    ab = ABBlock(tuple(rows), geomean_block(rows, options["threshold"],
                                            options["family_size"]),
                 tuple(n for n, r in records.items() if r["status"] == "failed"),
                 options["threshold"], options.get("base"), options.get("new"),
                 options.get("budget_s"), options["family_size"])
    doc = suite_document(spec.name, [records[n] for n in spec.names()], interrupted, ab=ab,
                         mode=ab_mode(options))
    file.write(doc)
    return doc


def ab_mode(options: dict) -> dict:
    """How an --ab directory's entries are measured (``suite.json``'s ``mode``): both
    sides, the epochs' length (``epoch_s``; null: dimensioned per entry), and the noise
    controls where there are some; a resume must be of the same, or its entries would be
    measured by another design than the ones kept.  A directory that did not record its
    epochs keeps them unrecorded: its earlier entries may have been of either design."""
    mode = {"kind": "ab", "base": options.get("base"), "new": options.get("new"),
            "epoch_s": None if options.get("dimension") else options.get("epoch_s")}
    if options.get("epoch_s_unrecorded"):       # resumed from a directory that did not say
        del mode["epoch_s"]
    controls = options["controls"].names() if options.get("controls") else ()
    return {**mode, "controls": list(controls)} if controls else mode
