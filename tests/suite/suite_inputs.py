"""Seeded suite documents (no measurement, no clock): hand-made entries put through the
suite's own producers (headlines, the judgement against a baseline, the A/B rows and
geomean, the gate) and the command's outputs, the same every time, so the JSON, Markdown
and terminal summary written from them can be frozen and byte-compared across a change
of the code (``tests/data/suite_now-*``).

It uses only what the producers offered before the suite document was typed (1c02455),
so the same file wrote the frozen outputs with that code: the A/B row's status is one
place the two differ (a dict then, a field now), and the A/B document handed to the rows
another (a dict then, main's typed ABResult now, with the same figures)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console

from perfbench.cli.commands.suite import _finish
from perfbench.reporters import suite_report
from perfbench.results import from_document
from perfbench.results.ab import ABRatio, ABResult
from perfbench.results.registry import read_document
from perfbench.suite import ab as suite_ab
from perfbench.suite.baseline import against_suite, read_baseline
from perfbench.suite.document import SuiteFile, document, headline, result_provenance
from tests.models import synthetic_document
from tests.results.ab_inputs import seeded_document

KINDS = ("plain", "baseline", "ab")


def _result(fps: list[float], model: str, interval: tuple[float, float] | None) -> dict:
    doc = synthetic_document(fps, model=model)
    if interval is not None:
        mean = sum(fps) / len(fps)
        doc["precision"] = {"fps_windows": {
            "value": mean, "ci95_low": interval[0], "ci95_high": interval[1],
            "ci95_half_width_pct": 100 * (interval[1] - interval[0]) / 2 / mean, "n": 20,
            "cv_pct": 3.0}, "fps_trials": None, "latency_ci95_ms": {},
            "until_stable_target_pct": None, "stable": None}
    return doc


def _record(name: str, status: str, file: str | None = None, message: str | None = None,
            wall_s: float | None = 12.5) -> dict:
    return {"name": name, "model": name.split("-")[0], "model_path": f"models/{name}.xml",
            "settings": {"precision": "bf16"}, "time_limit_s": 60.0, "status": status,
            "file": file, "message": message, "headline": None, "wall_s": wall_s}


def _suite(directory: Path, entries) -> dict[str, dict]:
    """Entries ``(name, status, trial FPS, interval)``: each ok one's result file, and its
    record with the headline and provenance the runner gives it."""
    directory.mkdir(parents=True)
    records = {}
    for name, status, fps, interval in entries:
        if fps is None:
            records[name] = _record(name, status, message="no result within 60 s"
                                    if status == "timeout" else "exit status 1", wall_s=60.0)
            continue
        doc = _result(fps, name, interval)
        (directory / f"{name}.json").write_text(json.dumps(doc))
        record = _record(name, status, f"{name}.json")
        result = from_document(doc, name)
        record.update(headline=headline(result, 210.5), provenance=result_provenance(result))
        records[name] = record
    return records


def _ab_document(ratio: float, low: float, high: float, verdict: str,
                 metric: str = "fps") -> ABResult:
    """An A/B document (``perfbench.ab``, typed since main's ABResult) holding the figures
    the suite reads of an entry; the rest is the seeded short run's."""
    def interval(centre: float, lo: float, hi: float, level: float, dof, epochs) -> ABRatio:
        return ABRatio(centre, lo, hi, level, 100 * (centre - 1), 0.0, dof, epochs, 24, 1.0,
                       None, 0.0, "this run")
    return dataclasses.replace(
        seeded_document("short"), verdict=verdict, judged_metric=metric,
        judged_level=1 - 0.05 / 3, family_size=3, stop_reason="decided",
        verdict_interval=interval(ratio, low - 0.01, high + 0.01, 0.99, None, None),
        ratios={"fps": interval(ratio, low, high, 0.95, 4.0, 5)},
        sides={"base": {"openvino": "2026.3.1"}, "new": {"openvino": "2026.4.1"}})


def _ab_row(name: str, doc: ABResult):
    row = suite_ab.entry_row(name, doc)
    return dict(row, status="ok") if isinstance(row, dict) else row


def _outputs(root: Path, kind: str, doc, file: SuiteFile) -> dict[str, Path]:
    """The command's outputs of ``doc`` (``_finish``: its gate, JSON and Markdown) and the
    terminal summary, rendered from the JSON read back."""
    out = root / f"out-{kind}"
    out.mkdir()
    paths = {k: out / f"suite.{k}" for k in ("json", "md", "csv")}
    args = argparse.Namespace(markdown=str(paths["md"]), csv=str(paths["csv"]),
                              json=str(paths["json"]), out=None, quiet=True)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        _finish(args, doc, SimpleNamespace(signum=None), file)
    written = read_document(json.loads(paths["json"].read_text()), str(paths["json"]))
    console = Console(file=io.StringIO(), width=160, color_system=None)
    suite_report.render(written, console)
    paths["txt"] = out / "suite.txt"
    paths["txt"].write_text(console.file.getvalue())
    return paths


class _Spec(SimpleNamespace):
    def names(self) -> list[str]:
        return list(self.entry_names)


def write_outputs(root: Path) -> dict[str, dict[str, Path]]:
    """Each kind's outputs (JSON, Markdown, CSV, terminal) under ``root/out-KIND``."""
    base = _suite(root / "base", [("conv-a", "ok", [100.0, 104.0], (99.0, 105.0)),
                                  ("conv-b", "ok", [50.0, 50.0], None),
                                  ("mlp", "failed", None, None),
                                  ("gone", "ok", [5.0, 5.0], None)])
    new = _suite(root / "new", [("conv-a", "ok", [60.0, 62.0], (58.5, 63.5)),
                                ("conv-b", "ok", [51.0, 50.0], None),
                                ("mlp", "ok", [7.0, 7.0], (6.9, 7.1)),
                                ("tokens", "timeout", None, None)])
    outputs = {}
    plain = document("zoo", list(new.values()))
    file = SuiteFile(str(root / "new" / "suite.json"))
    outputs["plain"] = _outputs(root, "plain", plain, file)
    SuiteFile(str(root / "base" / "suite.json")).write(document("zoo", list(base.values())))
    base_doc, base_results = read_baseline(str(root / "base"))
    block = against_suite(plain, str(root / "new"), base_doc, base_results, "base")
    outputs["baseline"] = _outputs(root, "baseline", document("zoo", list(new.values()),
                                                              baseline=block), file)
    records = {name: dict(_record(name, "ok", f"{name}.json"),
                          provenance={"openvino": ["2026.3.1", "2026.4.1"]})
               for name in ("conv", "residual", "mlp")}
    rows = [_ab_row("conv", _ab_document(0.97, 0.95, 0.99, "regression")),
            _ab_row("residual", _ab_document(1.01, 0.98, 1.04, "no significant change")),
            _ab_row("mlp", _ab_document(1.0, 0.97, 1.03, "no regression", "median_ms"))]
    options = {"threshold": 2.0, "family_size": 3, "budget_s": 900.0,
               "base": {"python": "/opt/ov2026.3/bin/python", "set": []},
               "new": {"python": "/opt/ov2026.4/bin/python", "set": ["precision=f32"]}}
    ab_file = SuiteFile(str(root / "ab-suite.json"))
    doc = suite_ab._save(_Spec(name="zoo", entry_names=list(records)), records, rows,
                         options, ab_file, False)
    outputs["ab"] = _outputs(root, "ab", doc, ab_file)
    return outputs
