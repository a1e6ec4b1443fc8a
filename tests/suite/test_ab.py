"""The suite as an upgrade check: per-entry rows from each A/B document, the geomean over
entries (fixed and random), the budget share, and a run end to end."""

import dataclasses
import json
import math
import os
import subprocess
import sys

import pytest

from perfbench.results.ab import ABRatio
from perfbench.results.suite import SuiteDocument
from perfbench.suite.ab import entry_row, entry_time, geomean_block
from tests.processes import checkout_env
from tests.results.ab_inputs import seeded_document
from tests.runner.test_attribute import pair  # noqa: F401  (the fixture)

#: A typed A/B document (interrupted in its first epoch) whose figures each test sets.
SHORT = seeded_document("short")


def _ratio(ratio, low, high, dof=None):
    return ABRatio(ratio, low, high, 0.95, 100 * (ratio - 1), 0.0, dof, 4, 24, 1.0, None,
                   0.0, "this run")


def _doc(ratio, half, verdict="no regression", dof=None, **change):
    fps = _ratio(ratio, ratio * math.exp(-half), ratio * math.exp(half), dof)
    return dataclasses.replace(SHORT, verdict=verdict, stop_reason="decided",
                               ratios={"fps": fps}, **change)


def test_geomean_of_entries_fixed_and_random():
    z = 1.959964
    rows = [entry_row("a", _doc(math.exp(0.02), z * 0.01)),
            entry_row("b", _doc(math.exp(-0.02), z * 0.01))]
    assert rows[0].ratio.value == pytest.approx(math.exp(0.02))
    g = geomean_block(rows, 2.0)
    # fixed: sqrt(0.0001 + 0.0001) / 2 = 0.0070711; random: s = 0.028284, t(1)·s/√2
    assert g.ratio.value == pytest.approx(1.0) and g.scope == "fixed: these models"
    assert g.ratio.high == pytest.approx(math.exp(z * 0.0070711), rel=1e-5)
    assert g.random.ratio.high == pytest.approx(math.exp(12.7062 * 0.02), rel=1e-4)
    assert g.between_sd_pct == pytest.approx(2.8284, rel=1e-4)
    assert g.verdict == "no significant change"
    slow = [entry_row(n, _doc(0.9, 0.01)) for n in "abc"]
    assert geomean_block(slow, 2.0).verdict == "regression"
    assert geomean_block([entry_row("x", dataclasses.replace(SHORT, ratios={}))],
                         2.0) is None


def test_geomean_only_from_finished_entries():
    """A failed or interrupted entry's partial ratio stays out of the geomean, listed."""
    rows = [entry_row("a", _doc(1.0, 0.01), "ok"),
            entry_row("b", _doc(0.5, 0.01), "failed"),
            entry_row("c", _doc(0.6, 0.01), "pending")]
    g = geomean_block(rows, 2.0)
    assert g.ratio.value == pytest.approx(1.0) and g.entries == 1
    assert g.excluded == ("b", "c")


def test_geomean_uses_the_rows_degrees_of_freedom():
    """Each row's interval came from t(dof): its variance is recovered with that t, and
    the geomean's quantile is Satterthwaite's, for one row its own t(4)."""
    from perfbench.stats.intervals import t_critical
    doc = _doc(0.9, t_critical(4) * 0.01, dof=4)
    g = geomean_block([entry_row("a", doc)], 2.0)
    assert math.log(g.ratio.high / 0.9) == pytest.approx(t_critical(4) * 0.01, rel=1e-6)


def test_budget_share_keeps_a_minimum_of_epochs():
    assert entry_time(None, 0, 3, 10) == 120.0
    assert entry_time(600, 0, 4, 10) == 150.0
    assert entry_time(600, 590, 4, 10) == 45.0       # 3 × (10 s + 5 s setup)


def test_an_entry_row_shows_the_interval_and_level_its_verdict_was_judged_on():
    """The row keeps the descriptive 95 % ratio and adds, from the A/B document's stored
    decision, the family-adjusted interval the verdict was judged on."""
    doc = _doc(0.97, 0.01, "regression", judged_metric="fps", family_size=9,
               judged_level=1 - 0.05 / 9, verdict_interval=_ratio(0.97, 0.95, 0.99))
    row = entry_row("a", doc)
    assert row.ratio.low == pytest.approx(0.97 * math.exp(-0.01))          # 95 %
    assert (row.ratio.level, row.judged.level, row.family_size) == (0.95, 1 - 0.05 / 9, 9)
    assert (row.judged.ratio, row.judged.low, row.judged.high) == (0.97, 0.95, 0.99)
    assert row.judged_metric == "fps"


def test_suite_ab_end_to_end(tmp_path, tiny_ir, failing_ir):
    """Two of three entries selected: the two are judged as one family of two.  Under a
    noise control (issue 29): each entry's A/B runs under it, every epoch's workers
    report it, and the directory resumes under the same controls only."""
    suite = tmp_path / "s.toml"
    suite.write_text(f'[[models]]\nmodel = "{tiny_ir}"\n[[models]]\nmodel = "{failing_ir}"\n'
                     f'[[models]]\nmodel = "{tiny_ir}"\nname = "spare"\n')
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "perfbench", "suite", str(suite), "--out",
                           str(out), "--ab", "--base-set", "threads=1", "--new-set",
                           "threads=1", "--epoch-s", "1", "--budget", "20", "-q",
                           "--markdown", str(tmp_path / "suite.md"), "--select", "tiny",
                           "fails", "--control", "arena=2"],
                          capture_output=True, text=True, timeout=600, env=checkout_env())
    assert done.returncode == 1, done.stderr             # an entry failed
    doc = json.loads((out / "suite.json").read_text())
    entries = {e["name"]: e for e in doc["entries"]}
    assert entries["tiny"]["status"] == "ok" and entries["fails"]["status"] == "failed"
    assert "Reshape" in entries["fails"]["message"]
    ab = json.loads((out / "tiny.json").read_text())
    assert ab["schema"] == "perfbench.ab"
    assert ab["controls"] == ["arena=2"] == doc["mode"]["controls"]
    assert ab["epochs"] and all(e["controls"]["base"]["malloc_arena_max"] ==
                                e["controls"]["new"]["malloc_arena_max"] == "2"
                                for e in ab["epochs"])
    assert doc["ab"]["failed"] == ["fails"] and [r["name"] for r in doc["ab"]["entries"]] == \
        ["tiny"]
    assert doc["ab"]["entries"][0]["verdict"] == ab["verdict"]
    assert entries["spare"]["status"] == "skipped" and doc["ab"]["family_size"] == 2
    row = doc["ab"]["entries"][0]
    assert ab["family_size"] == row["family_size"] == 2
    assert ab["final_level"] == pytest.approx(1 - 0.05 / 2)
    judged = row["judged"]
    assert judged["level"] == ab["judged_level"] in (ab["interim_level"], ab["final_level"])
    assert judged["low"] == ab["verdict_interval"]["low"]
    assert judged["high"] == ab["verdict_interval"]["high"]
    assert judged["ratio"] == ab["verdict_interval"]["ratio"]
    assert row["ratio"]["ratio"] == ab["ratios"]["fps"]["ratio"]
    from perfbench.results import SuiteDocument, load_document
    typed = load_document(str(out / "suite.json"))
    assert SuiteDocument.from_dict(typed.to_dict()) == typed and typed.to_dict() == doc
    level = f"{100 * judged['level']:.4g} %"
    assert f"judged at {level} (one of 2)" in (tmp_path / "suite.md").read_text()
    resumed = subprocess.run([sys.executable, "-m", "perfbench", "suite", str(suite),
                              "--out", str(out), "--ab", "--base-set", "threads=1",
                              "--new-set", "threads=1", "--resume", "-q"],
                             capture_output=True, text=True, timeout=600, env=checkout_env())
    assert resumed.returncode == 2 and "--control arena=2" in resumed.stderr, resumed.stderr
    assert resumed.stderr.count("\n") == 1


def test_a_budget_too_tight_for_a_family_says_so_and_what_would_do():
    """Nine entries in 8 minutes at 10 s epochs (+5 s to start the workers): 480/9/15 =
    3.6 epochs each, where one of nine needs about 8; 9 × 8 × 15 s = 18 minutes would do."""
    from perfbench.suite.ab import budget_note
    note = budget_note(480.0, 9, 10.0)
    assert note.startswith("the budget leaves each of the 9 entries about 3.6 epochs")
    assert "--budget 18m or more" in note
    assert budget_note(18 * 60.0, 9, 10.0) is None          # 8 epochs each
    assert budget_note(None, 9, 10.0) is None and budget_note(60.0, 1, 10.0) is None
    dimensioned = budget_note(480.0, 9, 10.0, dimensioned=True)
    assert "about 3.6 epochs (at the default 10 s each; an entry whose noise is known " \
           "sizes its own)" in dimensioned
    assert "about 3.6 epochs (at 10 s each)" in note


def test_a_server_entry_stays_out_of_the_fps_geomean():
    """Its FPS ratio is the schedule's (≈ 1 whatever the speed): three latency regressions
    averaged as 1.000 [0.9995, 1.0005] "no significant change"."""
    from perfbench.suite.ab import geomean_block
    from perfbench.results.interval import Interval
    from perfbench.results.suite import ABSummary
    offline = ABSummary("conv", "regression", Interval(0.9, 0.85, 0.95, 0.95), 4.0,
                        judged_metric="fps")
    server = ABSummary("conv.server", "regression", Interval(1.0, 0.9995, 1.0005, 0.95),
                       4.0, judged_metric="median_ms")
    block = geomean_block([offline, server], 2.0)
    assert block.ratio.value == pytest.approx(0.9) and block.excluded == ("conv.server",)
    assert geomean_block([server], 2.0) is None


@pytest.mark.slow
def test_attribute_names_each_entrys_top_cause_from_its_ab_document(tmp_path, pair):  # noqa: F811
    """`suite --ab --attribute` on a constructed cause: NEW's model has one node more
    (tests.runner.test_attribute's pair).  The entry's top cause is the first node of its
    own A/B document's attribution, "only in NEW", shown in every summary."""
    import io
    import threading

    from rich.console import Console

    from perfbench.report.suite_view import section
    from perfbench.reporters.suite_report import markdown, render
    from perfbench.results import SuiteDocument, load_document
    from perfbench.settings.config import BenchmarkConfig
    from perfbench.suite.ab import run_suite_ab
    from perfbench.suite.spec import load_suite
    toml = tmp_path / "s.toml"
    toml.write_text(f'[[models]]\nmodel = "{pair[0]}"\nname = "net"\n')
    spec = load_suite(str(toml))
    sides = {"net": tuple(BenchmarkConfig(model=m, threads=1).to_dict() for m in pair)}
    options = {"threshold": 2.0, "epoch_s": 0.5, "budget_s": 1.0, "attribute": True,
               "attribute_rounds": 2, "attribute_epochs": 2}
    doc = run_suite_ab(spec, str(tmp_path / "out"), {"net"}, sides,
                       (sys.executable, sys.executable), options, threading.Event())
    (row,) = doc.ab.entries
    ab = json.loads((tmp_path / "out" / "net.json").read_text())
    first = ab["attribution"]["nodes"][0]
    assert row.attribution == "complete" == ab["attribution"]["status"]
    cause = row.top_cause
    assert cause.changes == ("only in NEW",) == tuple(first["changes"])
    assert (cause.node, cause.type) == (", ".join(first["new_nodes"]), first["type"])
    delta = first["delta_ms"]
    assert (cause.contribution_ms.value, cause.contribution_ms.low,
            cause.contribution_ms.high, cause.contribution_ms.level) == (
        delta["value"], delta["low"], delta["high"], delta["level"])
    assert cause.share_pct == first["share_pct"]
    written = load_document(str(tmp_path / "out" / "suite.json"))
    assert written == doc and SuiteDocument.from_dict(doc.to_dict()) == doc
    console = Console(file=io.StringIO(), width=400, color_system=None)
    render(doc, console)
    line = f"A/B NEW/BASE: net: top cause {cause.node} ({cause.type}): " \
           f"{delta['value']:+.4f} ms per inference"
    assert line in console.file.getvalue() and "only in NEW" in console.file.getvalue()
    assert f"- {line}" in markdown(doc)
    page = "".join(section(doc, "s", "suite-0").parts)
    assert "Top cause per entry" in page and "<td>only in NEW" in page


@pytest.mark.slow
def test_attribute_out_writes_each_entrys_reproducer_in_its_own_directory(tmp_path,
                                                                          pair):  # noqa: F811
    """`suite --ab --attribute-out`: every entry gets the reproducer `ab --attribute-out`
    writes, in OUT/ENTRY.reproducer/, from its own A/B document and profiling pass: both
    versions and the machine, its top node and that node's subgraph as a model file, and
    both sides' measurements (the blocks its attribution was computed from).  One that
    cannot be written (a file in its place) is said in its entry's summary and fails the
    gate, and costs neither its verdict nor the next entry's reproducer."""
    import threading

    import openvino as ov

    from perfbench.settings.config import BenchmarkConfig
    from perfbench.suite.ab import reproducer_dir, run_suite_ab
    from perfbench.suite.spec import load_suite
    toml = tmp_path / "s.toml"
    toml.write_text(f'[[models]]\nmodel = "{pair[0]}"\nname = "net"\n'
                    f'[[models]]\nmodel = "{pair[0]}"\nname = "net2"\n')
    spec = load_suite(str(toml))
    sides = {name: tuple(BenchmarkConfig(model=m, threads=1).to_dict() for m in pair)
             for name in ("net", "net2")}
    options = {"threshold": 2.0, "epoch_s": 0.5, "budget_s": 1.0, "attribute": True,
               "attribute_out": True, "attribute_rounds": 2, "attribute_epochs": 2}
    out = tmp_path / "out"
    out.mkdir()
    (out / "net.reproducer").write_text("in the way")
    doc = run_suite_ab(spec, str(out), {"net", "net2"}, sides,
                       (sys.executable, sys.executable), options, threading.Event())
    assert [r.attribution for r in doc.ab.entries] == ["complete", "complete"]
    records = {r.name: r for r in doc.entries}
    assert records["net"].status == "ok" and records["net"].file == "net.json"
    summaries = {r.name: r for r in doc.ab.entries}
    assert summaries["net"].reproducer.startswith("not written: ")
    assert summaries["net2"].reproducer == "written" and records["net2"].message is None
    # an output asked for and not given fails the gate, as ab --attribute-out's exit 1
    from perfbench.cli.commands.suite import exit_status, gate

    def passing(reproducer_of_net: str):     # every verdict a pass: only the output fails
        return dataclasses.replace(doc, ab=dataclasses.replace(doc.ab, geomean=None, failed=(),
            entries=tuple(dataclasses.replace(e, verdict="no regression", reproducer=(
                reproducer_of_net if e.name == "net" else e.reproducer))
                for e in doc.ab.entries)))
    failing = passing(summaries["net"].reproducer)
    assert exit_status(failing, None) == 1
    assert "reproducer not written for net" in gate(failing, None).outcome
    assert exit_status(passing("written"), None) == 0
    assert SuiteDocument.from_dict(doc.to_dict()) == doc        # the key round-trips
    for name in ("net2",):
        ab = json.loads((out / f"{name}.json").read_text())
        where = reproducer_dir(out, name)
        assert where.parent == out and where.is_dir()
        reproducer = json.loads((where / "reproducer.json").read_text())
        assert name in reproducer["what"]
        assert reproducer["openvino"] == {s: ab["sides"][s]["openvino"] for s in ("base", "new")}
        assert reproducer["host"] == ab["host"] and reproducer["verdict"] == ab["verdict"]
        assert reproducer["top_node"] == ab["attribution"]["nodes"][0]
        assert reproducer["attribution"] == ab["attribution"]
        assert reproducer["subgraph"]["written"] is True, reproducer["subgraph"]
        assert reproducer["subgraph"]["side"] == "new"          # the node only NEW has
        cut = ov.Core().read_model(str(where / "top-node.xml"))
        assert {op.get_type_name() for op in cut.get_ops()} >= {"MatMul", "Parameter"}
        for side in ("base", "new"):
            profile = json.loads((where / f"{side}-profile.json").read_text())
            assert len(profile["blocks"]) == ab["attribution"]["rounds"] and profile["graph"]
