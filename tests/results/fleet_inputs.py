"""Seeded inputs for ``fleet report`` (no measurement, no clock): the same every time, so
the documents and tables written from them can be frozen and byte-compared.

- ``runs/``: run results of two classes (A on two hosts, with an interval across them; B
  on one host, one run without an interval), one of them noisy;
- ``suites/``: suite directories (models ``a`` and ``b``, two variants each) on A and C.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.models import synthetic_document


def _result(fps: list[float], cpu: str, host: str, threads=None, model="m") -> dict:
    doc = synthetic_document(fps, model=model, threads=threads, cpu=cpu)
    doc["environment"]["hostname"] = host
    return doc


def _suite_dir(path: Path, cpu: str, host: str, entries) -> None:
    path.mkdir(parents=True)
    records = []
    for model, threads, fps in entries:
        name = f"{model}.t{threads}"
        (path / f"{name}.json").write_text(json.dumps(_result([fps, fps], cpu, host,
                                                              threads, model)))
        records.append({"name": name, "model": model, "status": "ok", "file": f"{name}.json"})
    (path / "suite.json").write_text(json.dumps({"schema": "perfbench.suite",
                                                 "schema_version": 1, "entries": records}))


def write_inputs(root: Path) -> dict[str, list[str]]:
    """The inputs under ``root``, and the ``fleet report`` argument lists to run on them
    (each writes --json/--csv/--markdown under ``root/out-NAME``)."""
    runs = root / "runs"
    runs.mkdir(parents=True)
    for name, fps, cpu, host, threads in (("a1", [100.0, 104.0], "cpu A", "h1", None),
                                          ("a2", [110.0, 112.0], "cpu A", "h2", None),
                                          ("a3", [90.0, 90.0], "cpu A", "h1", 1),
                                          ("b1", [300.0], "cpu B", "h3", None)):
        doc = _result(fps, cpu, host, threads)
        if name == "a3":
            doc["checks"] = [{"name": "cpu_other", "ok": False, "value": 30.0,
                              "threshold": 10.0, "message": "busy"}]
        (runs / f"{name}.json").write_text(json.dumps(doc))
    _suite_dir(root / "suites" / "a", "cpu A", "h1", [("a", 1, 40.0), ("a", 2, 20.0),
                                                      ("b", 1, 25.0)])
    _suite_dir(root / "suites" / "c", "cpu C", "h4", [("a", 1, 50.0), ("b", 1, 60.0),
                                                      ("b", 2, 61.0)])
    prices = root / "prices.toml"
    from tests.models import synthetic_result
    from perfbench.sizing.fleet import hardware_class_of
    classes = {cpu: hardware_class_of(synthetic_result([1.0], cpu=cpu))
               for cpu in ("cpu A", "cpu B", "cpu C")}
    prices.write_text("[prices]\n" + "".join(
        f'"{classes[cpu]}" = {price}\n' for cpu, price in (("cpu A", 2.0), ("cpu B", 3.5),
                                                           ("cpu C", 1.25))))
    return {"runs": [str(runs), "--target-fps", "1000", "--sla-ms", "200",
                     "--prices", str(prices)],
            "suites": [str(root / "suites" / "a"), str(root / "suites" / "c"),
                       "--mix", "a=100,b=50", "--prices", str(prices)],
            "plain": [str(runs)]}


def run_report(root: Path, name: str, argv: list[str]) -> dict[str, Path]:
    """``fleet report`` with every text output written; the paths written."""
    from perfbench.cli.main import main
    out = {kind: root / f"out-{name}.{kind}" for kind in ("json", "csv", "md")}
    assert main(["fleet", "report", *argv, "--json", str(out["json"]), "--csv",
                 str(out["csv"]), "--markdown", str(out["md"])]) == 0
    return out
