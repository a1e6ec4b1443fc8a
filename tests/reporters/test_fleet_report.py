"""Every output of ``fleet report`` on suite directories (JSON, CSV, Markdown, plot, HTML,
terminal) carries each model's best configuration per class with its FPS and interval,
and the ``--mix``'s machines and cost per class.

The suites are constructed: class A on two nodes (so its FPS has an interval across
machines), B and C on one each (no interval); C never measured model ``b``.  The expected
figures below are worked out by hand from the documented definitions (docs/fleet.md,
docs/schemas.md), not from the code:

- FPS per machine: the mean of the machines, with a 95 % t-interval across them
  (t(0.975, 1) = 12.7062…); one machine with one run has no interval.
- A model's best configuration: its highest-FPS variant (threads=1 here).
- The mix a=100, b=50 with headroom 0.2: load = Σ target ÷ (FPS × 0.8), machines = ⌈load⌉,
  cost = machines × price; a class missing a model of the mix has no machine count.
"""

import csv
import io
import json
import math
import re

import pytest
from rich.console import Console

from perfbench.cli.main import main
from perfbench.reporters import fleet_report
from perfbench.results import load_document
from perfbench.sizing.fleet import Measured, hardware_class_of, report
from tests.models import synthetic_document, synthetic_result

T_975_1 = 12.706204736174707          # Student t, 97.5 % quantile, 1 degree of freedom
A, B, C = (hardware_class_of(synthetic_result([1.0], cpu=cpu))
           for cpu in ("cpu A", "cpu B", "cpu C"))
PRICES = {A: 2.0, B: 3.0, C: 1.0}
#: (class, model) -> FPS, interval low, high: A pools 39 and 41 (a), 24.5 and 25.5 (b);
#: a rate's interval is on the log scale, FPS·exp(±t·SE/FPS)
MODELS = {(A, "a"): (40.0, 40.0 * math.exp(-T_975_1 / 40), 40.0 * math.exp(T_975_1 / 40)),
          (A, "b"): (25.0, 25.0 * math.exp(-T_975_1 * 0.5 / 25),
                     25.0 * math.exp(T_975_1 * 0.5 / 25)),
          (B, "a"): (80.0, None, None), (B, "b"): (80.0, None, None),
          (C, "a"): (50.0, None, None)}
#: class -> load, machines, cost per hour, models missing
MIX = {A: (100 / 32 + 50 / 20, 6, 12.0, ""),             # 3.125 + 2.5 = 5.625
       B: (100 / 64 + 50 / 64, 3, 9.0, ""),              # 1.5625 + 0.78125 = 2.34375
       C: (100 / 40, None, None, "b")}


def _suite_dir(path, cpu, entries):
    """A suite directory of synthetic results (model, threads, FPS) on one machine."""
    path.mkdir(parents=True)
    records = []
    for model, threads, fps in entries:
        name = f"{model}.t{threads}"
        doc = synthetic_document([fps, fps], model=model, threads=threads, cpu=cpu)
        (path / f"{name}.json").write_text(json.dumps(doc))
        records.append({"name": name, "model": model, "status": "ok", "file": f"{name}.json"})
    (path / "suite.json").write_text(json.dumps({"schema": "perfbench.suite",
                                                 "schema_version": 1, "entries": records}))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One ``fleet report`` over a fleet run's directory (A's two nodes) and two more suite
    directories, with every output written."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("plotly")
    tmp = tmp_path_factory.mktemp("fleet")
    _suite_dir(tmp / "fleet" / "node-1", "cpu A", [("a", 1, 39.0), ("a", 2, 20.0),
                                                   ("b", 1, 24.5), ("b", 2, 10.0)])
    _suite_dir(tmp / "fleet" / "node-2", "cpu A", [("a", 1, 41.0), ("a", 2, 22.0),
                                                   ("b", 1, 25.5), ("b", 2, 12.0)])
    _suite_dir(tmp / "b", "cpu B", [("a", 1, 80.0), ("b", 1, 80.0)])
    _suite_dir(tmp / "c", "cpu C", [("a", 1, 50.0)])
    prices = tmp / "prices.toml"
    prices.write_text("[prices]\n" + "".join(f'"{k}" = {v}\n' for k, v in PRICES.items()))
    out = {kind: tmp / f"fleet.{kind}" for kind in ("json", "csv", "md", "png", "html")}
    assert main(["fleet", "report", str(tmp / "fleet"), str(tmp / "b"), str(tmp / "c"),
                 "--mix", "a=100,b=50", "--headroom", "0.2", "--prices", str(prices),
                 "--json", str(out["json"]), "--csv", str(out["csv"]),
                 "--markdown", str(out["md"]), "--plot", str(out["png"]),
                 "--html", str(out["html"])]) == 0
    return out


def _close(got, want) -> bool:
    return got is None if want is None else got == pytest.approx(want, rel=1e-9)


def test_json_has_each_models_best_configuration_and_the_mix(exported):
    doc = json.loads(exported["json"].read_text())
    models = {(m["hardware_class"], m["model"]): m for m in doc["models"]}
    assert set(models) == set(MODELS)
    for key, (fps, low, high) in MODELS.items():
        m = models[key]
        assert (_close(m["fps"]["value"], fps) and _close(m["fps"]["low"], low)
                and _close(m["fps"]["high"], high)), (key, m)
        assert " threads=1 " in f" {m['configuration']} "      # the faster variant
    mix = {r["hardware_class"]: r for r in doc["mix"]["classes"]}
    for klass, (load, machines, cost, missing) in MIX.items():
        r = mix[klass]
        assert _close(r["load"], load) and r["machines"] == machines, (klass, r)
        assert r.get("cost_per_hour") == cost and ", ".join(r["missing"]) == missing
    assert doc["mix"]["cheapest"] == B


def test_csv_has_a_row_per_model_and_class_and_per_class_for_the_mix(exported):
    table = list(csv.DictReader(io.StringIO(exported["csv"].read_text())))
    models = {(r["hardware_class"], r["model"]): r for r in table if r["row"] == "model"}
    assert set(models) == set(MODELS)
    for key, (fps, low, high) in MODELS.items():
        r = models[key]
        assert float(r["fps_per_machine"]) == pytest.approx(fps)
        assert (r["fps_low"], r["fps_high"]) == ("", "") if low is None else \
            (float(r["fps_low"]), float(r["fps_high"])) == pytest.approx((low, high))
        assert "threads=1" in r["configuration"]
    mix = {r["hardware_class"]: r for r in table if r["row"] == "mix"}
    assert set(mix) == set(MIX)
    for klass, (load, machines, cost, missing) in MIX.items():
        r = mix[klass]
        assert float(r["mix_load"]) == pytest.approx(load) and r["mix"] == "a=100,b=50"
        assert r["machines"] == ("" if machines is None else str(machines))
        assert r["cost_per_hour"] == ("" if cost is None else str(cost))
        assert r["mix_missing"] == missing


def _markdown_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the table under a heading, each split at its unescaped ``|``."""
    section = text[text.index(heading):].split("\n\n")[1]
    lines = section.splitlines()[2:]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]


def test_markdown_has_the_models_table_and_the_mix_table(exported):
    text = exported["md"].read_text()
    rows = {(r[0], r[1]): r for r in _markdown_rows(text, "### Suite models")}
    assert set(rows) == set(MODELS)
    for key, (fps, low, high) in MODELS.items():
        r = rows[key]
        assert "threads=1" in r[2] and r[3] == f"{fps:,.1f}"
        assert r[4] == ("–" if low is None else f"[{low:,.1f}, {high:,.1f}]")
    mix = {r[0].removesuffix(" ★"): r for r in _markdown_rows(text, "### Mix")}
    assert set(mix) == set(MIX) and mix[B][0] == f"{B} ★"
    for klass, (load, machines, cost, missing) in MIX.items():
        assert mix[klass][1:] == [f"{load:,.3f}", "–" if machines is None else str(machines),
                                  "–" if cost is None else f"{cost:,.2f}", missing or "–"]


def test_the_plot_draws_each_models_fps_with_its_interval_and_the_mix(exported):
    from matplotlib.container import ErrorbarContainer

    from perfbench.reporters.sweep_report import require_matplotlib
    plt = require_matplotlib()
    assert exported["png"].stat().st_size > 0
    fig = fleet_report.figure(load_document(str(exported["json"])), plt)
    axes = {ax.get_title(): ax for ax in fig.axes}
    models = axes["each model's best configuration per class"]
    labels = [t.get_text() for t in models.get_yticklabels()]
    bars = dict(zip(labels, (p.get_width() for p in models.patches)))
    assert bars == pytest.approx({f"{m} on {k}": fps for (k, m), (fps, _, _) in MODELS.items()})
    (errors,) = [c for c in models.containers if isinstance(c, ErrorbarContainer)]
    spans = {labels[round(s[0, 1])]: sorted(s[:, 0]) for s in errors.lines[2][0].get_segments()}
    assert spans == {f"{m} on {k}": pytest.approx([low, high])     # none without an interval
                     for (k, m), (_, low, high) in MODELS.items() if low is not None}
    mix = axes["machines for the mix a=100,b=50"]
    served = {k: v for k, v in MIX.items() if v[1] is not None}
    assert [t.get_text() for t in mix.get_yticklabels()] == sorted(served)
    assert [p.get_width() for p in mix.patches] == [served[k][1] for k in sorted(served)]
    assert [t.get_text() for t in mix.texts] == [f"{served[k][1]}, {served[k][2]:,.2f}/h"
                                                  for k in sorted(served)]
    plt.close(fig)


def test_the_html_fleet_view_shows_the_model_intervals_and_the_mix(exported):
    from perfbench.report.html import interval, num
    html = exported["html"].read_text()
    fps, low, high = MODELS[(A, "a")]
    assert f"<td>{num(fps)}</td><td>{interval(low, high)}</td>" in html
    load, machines, cost, _ = MIX[A]
    assert f"<td>{A}</td><td>{num(load)}</td><td>{machines}</td><td>{num(cost)}</td>" in html


def test_the_terminal_table_shows_the_model_intervals_and_the_mix(exported):
    console = Console(file=io.StringIO(), width=400)
    fleet_report.render(load_document(str(exported["json"])), console)
    said = console.file.getvalue()
    fps, low, high = MODELS[(A, "a")]
    assert f"{fps:,.1f} [{low:,.1f}, {high:,.1f}]" in said
    assert f"mix on {B}: 3 machines (load 2.34), 9.00/h" in said


def _m(klass, model, fps):
    return Measured(klass, f"{model} threads=1", "h", fps, None, None, 5.0, False, "x",
                    f"{model} threads=1", model)


def test_class_and_model_names_are_escaped_in_markdown_and_csv():
    klass, model = 'c7i|big, "x"\n[bold]y', 'm|1, "q"'
    doc = report([_m(klass, model, 100.0)], None, None, 0.0, {klass: 1.0}, {model: 50.0})
    text = fleet_report.markdown(doc)
    (row,) = _markdown_rows(text, "### Suite models")
    assert row[:2] == ["c7i\\|big, \"x\" [bold]y", 'm\\|1, "q"'] and len(row) == 7
    (mix,) = _markdown_rows(text, "### Mix")
    assert mix[0] == "c7i\\|big, \"x\" [bold]y ★" and mix[2] == "1" and len(mix) == 5
    table = list(csv.DictReader(io.StringIO(fleet_report.csv_text(doc))))
    assert [(r["row"], r["hardware_class"], r["model"]) for r in table] == \
        [("model", klass, model), ("mix", klass, "")]
    assert table[1]["mix"] == f"{model}=50"


def test_machines_built_on_a_disturbed_measurement_say_so():
    """Issue 24: a machine count from a run whose machine other processes took (43–69 %)
    came with no warning.  The class's row marks it, names the failed check, in the
    terminal, the Markdown, the CSV and the JSON."""
    from perfbench.results import from_document
    from perfbench.sizing.fleet import measured_from
    from tests.models import synthetic_document
    doc = synthetic_document([160.0])
    doc["checks"] = [{"name": "other_processes_cpu", "ok": False, "value": 61.0,
                      "threshold": 10.0, "message": "busy"}]
    measured = measured_from(from_document(doc, "busy.json").to_dict(), "busy.json")
    fleet = report(measured, 2000.0, None, 0.0, None)
    remark = "busy.json: other_processes_cpu 61.0 (limit 10.0)"
    assert fleet.classes[0].disturbed == (remark,)
    assert fleet.classes[0].plan.machines == 13
    console = Console(file=io.StringIO(), width=400)
    fleet_report.render(fleet, console)
    said = console.file.getvalue()
    assert "13 ⚠ disturbed" in said and f"built on a measurement from a disturbed machine " \
        f"({remark})" in said
    assert f"disturbed: {remark}" in fleet_report.markdown(fleet)
    assert remark in fleet_report.csv_text(fleet)


def test_docs_schemas_lists_the_csv_columns_in_order():
    from pathlib import Path
    text = (Path(__file__).resolve().parents[2] / "docs" / "schemas.md").read_text()
    paragraph = text.split("The `--csv` has one row per class, model or mix:")[1]
    paragraph = re.sub(r"\([^)]*\)", "", paragraph.split(". Renamed")[0])  # not the asides
    assert tuple(re.findall(r"`([a-z0-9_]+)`", paragraph)) == fleet_report.COLUMNS
