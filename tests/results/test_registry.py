"""The schema registry: every perfbench document recognised by its schema and version,
older versions upgraded in one place, and a malformed document one line.

tests/data holds a frozen file of every kind and version, written by the real commands of
the release that wrote that version (tiny models, or the seeded inputs of
``tests/results/fleet_inputs.py``).  A version added to the registry without its upgrade
and its frozen file fails :func:`test_every_version_has_its_frozen_file_and_an_upgrade`."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from perfbench.cli.main import main
from perfbench.errors import UsageError
from perfbench.files import json_text
from perfbench.reporters import fleet_report, shapes_report
from perfbench.results import (ABResult, BenchmarkResult, FleetReport, FleetRun,
                               ShapesResult, SuiteDocument, load_document)
from perfbench.results.ab import SCHEMA_VERSION
from perfbench.results.comparison import Comparison
from perfbench.results.registry import KINDS, read_document, upgrade
from perfbench.results.server_search import ServerSearch
from perfbench.results.sweep import SweepResult
from tests.results.fleet_inputs import run_report, write_inputs
from tests.results.nested import gains_spelled_whole, nested_results_upgraded

DATA = Path(__file__).resolve().parent.parent / "data"
TYPES = {"perfbench.result": BenchmarkResult, "perfbench.shapes": ShapesResult,
         "perfbench.fleet-report": FleetReport, "perfbench.fleet-run": FleetRun,
         "perfbench.server-search": ServerSearch, "perfbench.ab": ABResult,
         "perfbench.comparison": Comparison, "perfbench.sweep": SweepResult,
         "perfbench.suite": SuiteDocument}


def frozen_files() -> dict[Path, tuple[str, int]]:
    """Each frozen document, by the kind and version its name says (``KIND_vN[-what]``);
    ``KIND_now-what`` files are today's outputs of seeded inputs, not a version's."""
    found = {}
    for path in [*DATA.glob("*.json"), *DATA.glob("*_v*/suite.json")]:
        if "_now-" in path.name:
            continue
        stem = path.parent.name if path.name == "suite.json" else path.stem
        match = re.fullmatch(r"([a-z-]+)_v(\d+)(-[a-z]+)?", stem)
        assert match, f"{path.name}: frozen files are named KIND_vN[-what].json"
        found[path] = (f"perfbench.{match[1]}", int(match[2]))
    return found


def test_every_version_has_its_frozen_file_and_an_upgrade():
    """For every kind: a frozen file of each version it reads, and an upgrade from each
    older version to the next; no frozen file of a kind or version it does not know."""
    versions: dict[str, set[int]] = {}
    for schema, version in frozen_files().values():
        versions.setdefault(schema, set()).add(version)
    assert set(versions) == set(KINDS)
    for schema, kind in KINDS.items():
        assert versions[schema] == set(range(kind.oldest, kind.version + 1)), schema
        assert set(kind.upgrades) == set(range(kind.oldest, kind.version)), schema


@pytest.mark.parametrize("path", sorted(frozen_files()), ids=lambda p: p.name)
def test_every_frozen_file_loads(path):
    """Every file an earlier release wrote still loads, upgraded to today's version."""
    schema, version = frozen_files()[path]
    document = load_document(str(path))
    upgraded = KINDS[schema].version
    if schema in TYPES:
        assert isinstance(document, TYPES[schema])
        assert document.schema_version == upgraded
    else:
        assert document["schema"] == schema and document.get("schema_version") in (upgraded,
                                                                                   None)


@pytest.mark.parametrize("name", ["result_v4.json", "shapes_v1.json", "fleet-run_v1.json",
                                  "server-search_v3.json", "ab_v7.json", "comparison_v4.json",
                                  "suite_v2/suite.json", "sweep_v4-sequential.json",
                                  "sweep_v4-race.json", "sweep_v4-incomplete.json",
                                  "sweep_v4-fidelity.json", "sweep_v4-dimensioned.json"])
def test_a_current_version_file_writes_back_byte_for_byte(name):
    """``to_dict`` of what ``from_dict`` read is the file as the command wrote it.  The
    results a container holds (a shape's, a sweep point's) carry their own version and
    were written at an older one: they write back upgraded, and the expected text is the
    file with exactly that upgrade applied to them (version 4's respelling of their
    intervals, pinned by ``test_a_version_3_result_is_respelled_with_the_same_numbers``);
    every other byte is the file's."""
    text = (DATA / name).read_text()
    document = load_document(str(DATA / name))
    expected = nested_results_upgraded(text)
    if isinstance(document, SweepResult):       # and the gains' one respelling since v3
        expected = gains_spelled_whole(expected)
    assert json_text(document.to_dict()) == expected
    assert type(document).from_dict(document.to_dict(), *(
        [_nested] if isinstance(document, (ShapesResult, SweepResult)) else [])) == document


def _nested(data, where):
    from perfbench.results.registry import nested_result
    return nested_result(data, where)


def test_a_version_3_result_is_respelled_with_the_same_numbers():
    """Result version 4 (issue 25 item 3): a precision block's FPS estimates were
    ``{value, ci95_low, ci95_high, ci95_half_width_pct, n, cv_pct}`` and its latency
    intervals ``latency_ci95_ms: {p: [lo, hi]}``; they are the one interval spelling now,
    the same numbers, ``level`` 0.95, a latency interval's ``value`` the file's percentile."""
    old = json.loads((DATA / "result_v3.json").read_text())
    old["precision"]["fps_windows"] = {"value": 100.0, "ci95_low": 97.5, "ci95_high": 102.5,
                                       "ci95_half_width_pct": 2.5, "n": 8, "cv_pct": 2.0}
    new = upgrade(KINDS["perfbench.result"], json.loads(json.dumps(old)), "x.json")
    assert new["schema_version"] == 4
    assert new["precision"]["fps_windows"] == {"value": 100.0, "low": 97.5, "high": 102.5,
                                               "level": 0.95, "half_width_pct": 2.5, "n": 8,
                                               "cv_pct": 2.0}
    assert list(new["precision"]["fps_windows"])[:4] == ["value", "low", "high", "level"]
    assert "latency_ci95_ms" not in new["precision"]
    latency = old["results"]["latency_ms"]
    assert new["precision"]["latency_ms"] == {
        p: {"value": latency[p], "low": lo, "high": hi, "level": 0.95}
        for p, (lo, hi) in old["precision"]["latency_ci95_ms"].items()}
    assert {k: v for k, v in new.items() if k not in ("precision", "schema_version")} == {
        k: v for k, v in old.items() if k not in ("precision", "schema_version")}
    typed = read_document(old, "x.json")
    assert (typed.precision.fps_windows.value, typed.precision.fps_windows.low,
            typed.precision.fps_windows.high) == (100.0, 97.5, 102.5)
    assert typed.precision.latency_ci_ms == {
        p: tuple(b) for p, b in old["precision"]["latency_ci95_ms"].items()}
    assert typed.to_dict()["precision"]["fps_windows"]["level"] == 0.95


def test_the_version_4_file_a_real_run_wrote_round_trips():
    """``perfbench run --repeat 2`` on the tiny conv model (tests/models.py) wrote
    result_v4.json: both FPS estimates and the latency intervals in the new spelling."""
    document = load_document(str(DATA / "result_v4.json"))
    assert BenchmarkResult.from_dict(document.to_dict()) == document
    assert BenchmarkResult.from_dict(json.loads(json_text(document.to_dict()))) == document
    written = json.loads((DATA / "result_v4.json").read_text())["precision"]
    assert written["fps_windows"]["level"] == written["fps_trials"]["level"] == 0.95
    assert document.precision.fps_windows.low == written["fps_windows"]["low"]
    assert all(set(i) == {"value", "low", "high", "level"}
               for i in written["latency_ms"].values())
    assert "ci95" not in (DATA / "result_v4.json").read_text()


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["precision"]["fps_windows"].update(level=0.9), "fps_windows.level is 0.9"),
    (lambda d: d["precision"]["latency_ms"]["median"].update(value=1e6),
     "latency_ms.median.value is 1000000.0 but results.latency_ms.median"),
    (lambda d: d["precision"]["latency_ms"].update(p42=d["precision"]["latency_ms"]["median"]),
     "p42: not a reported percentile"),
    (lambda d: (d.pop("latency_histogram"), d.update(schema_version=3)),
     "latency_histogram must be an object"),
])
def test_a_version_4_result_with_an_interval_that_is_not_its_own_is_refused(edit, message):
    document = json.loads((DATA / "result_v4.json").read_text())
    edit(document)
    with pytest.raises(UsageError, match=message):
        read_document(document, "x.json")


def test_a_version_4_result_without_a_histogram_is_one_read_from_version_1():
    document = json.loads((DATA / "result_v4.json").read_text())
    del document["latency_histogram"]
    typed = read_document(document, "x.json")
    assert typed.latency_histogram is None and "latency_histogram" not in typed.to_dict()


@pytest.fixture(scope="module")
def fleet_outputs(tmp_path_factory):
    """``fleet report`` now, on the seeded inputs main's fixtures were written from."""
    root = tmp_path_factory.mktemp("fleet")
    return {name: run_report(root, name, argv) for name, argv in write_inputs(root).items()}


def _without_interval_bounds(report: dict) -> dict:
    """The report with each FPS interval's bounds blanked: since issue 24 a rate's interval
    is built on the log scale (stats.intervals.rate_interval), so main's linear bounds of
    a spread across machines are not today's, nor the machines counted from their low end;
    every other figure is."""
    out = json.loads(json.dumps(report))
    for row in out.get("classes", []) + out.get("models", []):
        row["fps"]["low"] = row["fps"]["high"] = None
        row.get("plan", {}).pop("machines_conservative", None)   # from the interval's low end
        row.pop("disturbed", None)
    return out


@pytest.mark.parametrize("name", ["runs", "suites", "plain"])
def test_fleet_report_writes_what_main_wrote_apart_from_the_interval_spelling(
        fleet_outputs, name):
    """The typed report changed no figure: its JSON is main's version-1 file upgraded (the
    one rename: ``fps``/``fps_low``/``fps_high`` → ``fps: {value, low, high, level}``),
    apart from the intervals' bounds, now on the log scale and checked positive around
    their value.  The CSV, Markdown and terminal table are the frozen outputs of today's
    code (``fleet-report_now-*``; regenerate them on purpose when a figure changes: at the
    typing commit they were main's byte for byte)."""
    written = fleet_outputs[name]
    for kind in ("csv", "md"):
        assert written[kind].read_text() == (DATA / f"fleet-report_now-{name}.{kind}").read_text()
    upgraded = load_document(str(DATA / f"fleet-report_v1-{name}.json"))
    now = load_document(str(written["json"]))
    assert _without_interval_bounds(now.to_dict()) == _without_interval_bounds(upgraded.to_dict())
    for row in (*now.classes, *(now.models or ())):
        assert row.fps.low is None or 0 < row.fps.low < row.fps.value < row.fps.high
    assert FleetReport.from_dict(now.to_dict()) == now
    console = Console(file=io.StringIO(), width=160, color_system=None)
    fleet_report.render(now, console)
    assert console.file.getvalue() == (DATA / f"fleet-report_now-{name}.txt").read_text()


def test_the_fleet_report_upgrade_spells_each_interval_once():
    old = json.loads((DATA / "fleet-report_v1-runs.json").read_text())
    new = load_document(str(DATA / "fleet-report_v1-runs.json")).to_dict()
    assert new["schema_version"] == 2
    for was, now in zip(old["classes"], new["classes"], strict=True):
        assert "fps_low" not in now and now["fps"] == {
            "value": was["fps"], "low": was["fps_low"], "high": was["fps_high"],
            "level": None if was["fps_low"] is None else 0.95}
    assert any(c["fps"]["low"] is not None for c in new["classes"])
    assert any(c["fps"]["low"] is None for c in new["classes"])


def test_shapes_and_fleet_run_tables_are_main_s():
    for name, draw in (("shapes_v1", shapes_report.render),
                       ("fleet-run_v1", fleet_report.render_run)):
        console = Console(file=io.StringIO(), width=160, color_system=None)
        draw(load_document(str(DATA / f"{name}.json")), console)
        assert console.file.getvalue() == (DATA / f"{name}.txt").read_text(), name


def test_the_producers_return_what_their_documents_read_back(tmp_path):
    from perfbench.sizing.fleet import directory_report
    inputs = write_inputs(tmp_path)
    report = directory_report(inputs["plain"][0])
    assert isinstance(report, FleetReport)
    assert FleetReport.from_dict(json.loads(json_text(report.to_dict()))) == report
    shapes = ShapesResult.measured([], 2, "shape 1 failed")
    assert shapes.status == "partial" and shapes.to_dict()["error"] == "shape 1 failed"
    assert ShapesResult.from_dict(shapes.to_dict(), _nested) == shapes


@pytest.mark.parametrize("document,message", [
    ({"schema": "perfbench.sweep", "schema_version": 9}, "version 9 is newer"),
    ({"schema": "perfbench.ab", "schema_version": 1}, "older than this perfbench reads"),
    ({"schema": "perfbench.shapes", "schema_version": "1"}, "unsupported schema version"),
    ({"schema": "perfbench.fleet-report", "schema_version": 2, "classes": []},
     "invalid perfbench.fleet-report document: fleet report.headroom"),
])
def test_versions_it_cannot_read_are_named(document, message):
    with pytest.raises(UsageError, match=message):
        read_document(document, "x.json")


def test_an_ab_version_2_file_reads_as_the_current_version_without_an_attribution():
    old = json.loads((DATA / "ab_v2.json").read_text())
    now = load_document(str(DATA / "ab_v2.json"))
    assert "attribution" not in old and now.attribution is None
    assert now.schema_version == SCHEMA_VERSION and now.fidelity is None
    assert now.controls == ()
    assert [e.to_dict()["rounds"] for e in now.epochs] == [e["rounds"] for e in old["epochs"]]
    current = load_document(str(DATA / "ab_v3.json"))
    assert current.attribution.status == "complete"
    assert current.attribution.table.nodes and current.attribution.table.types


@pytest.mark.parametrize("name", ["ab_v2.json", "ab_v3.json"])
def test_an_older_ab_file_is_respelled_low_high_and_gets_its_side_figures(name):
    """Version 4 spells every interval ``{ratio, low, high, level}``; the older files'
    ``ci_low``/``ci_high`` are the same numbers.  Their side figures (written since) are
    filled in by the producer's definition: each side's images over its blocks' time."""
    old = json.loads((DATA / name).read_text())
    now = load_document(str(DATA / name))
    written = json.dumps(now.to_dict())
    assert "ci_low" not in written and "ci_high" not in written
    for key, ratio in old["ratios"].items():
        typed = now.ratios[key]
        assert (typed is None) == (ratio is None)
        if ratio is not None:
            assert (typed.ratio, typed.low, typed.high, typed.level) == (
                ratio["ratio"], ratio["ci_low"], ratio["ci_high"], ratio["level"])
    blocks = [r["base"] for e in old["epochs"] for r in e["rounds"]
              if r["base"]["completed"] and r["new"]["completed"]]
    images = sum(b["completed"] * b["batch"] for b in blocks)
    assert now.side_figures["base"].fps == pytest.approx(
        images / sum(b["duration_s"] for b in blocks))
    assert now.side_figures["new"].median_ms == old["ratios"]["median_ms"]["new_ms"]


@pytest.mark.parametrize("name", ["ab_v4.json", "ab_v5.json", "ab_v6.json", "ab_v7.json"])
def test_the_ab_document_of_a_real_run_round_trips(name):
    """``from_dict(to_dict(x)) == x`` for the document ``perfbench ab`` wrote (two tiny
    models, ``--attribute``; version 5 also ``--fidelity``, NEW a perturbed weight;
    version 6 and 7 also ``--control thp-off``, which version 7 records per epoch),
    through its JSON text."""
    document = load_document(str(DATA / name))
    assert isinstance(document, ABResult) and document.verdict_interval is not None
    again = ABResult.from_dict(json.loads(json_text(document.to_dict())))
    assert again == document
    assert again.attribution.status == "complete"
    if name == "ab_v4.json":                # upgraded: it never compared outputs
        assert again.fidelity is None
    else:
        assert again.fidelity.regression and again.exit_status == 1
        assert again.fidelity.reference[0].sqnr_db < 60
    if name in ("ab_v6.json", "ab_v7.json"):
        assert again.controls == ("thp-off",) and again.design.chosen_by == "fixed"
    else:                                   # upgraded: no controls were recorded then
        assert again.controls == () and again.design is None


def _sweep(**change):
    doc = json.loads((DATA / "sweep_v1.json").read_text())
    return dict(doc, **change)


def _ab(edit):
    doc = json.loads((DATA / "ab_v4.json").read_text())
    edit(doc)
    return doc


def _fleet(edit):
    doc = json.loads((DATA / "fleet-report_v1-runs.json").read_text())
    edit(doc)
    return doc


#: Malformed documents ``perfbench report`` drew with a traceback (issue 30 item 13:
#: the first two), and more of the same kind.
MALFORMED = [
    (_sweep(points="x"), "points must be a list"),
    ({"schema": ["perfbench.suite"], "schema_version": 1}, "not a document perfbench report"),
    (_sweep(points=["x"]), r"points\[0\] must be an object"),
    (_sweep(spec=None), "spec must be an object"),
    ({"schema": "perfbench.suite", "schema_version": 1, "entries": "x"},
     "entries must be a list"),
    ({"schema": "perfbench.ab", "schema_version": 2, "status": "complete", "epochs": {},
      "ratios": {}}, "epochs must be a list"),
    (_ab(lambda d: d["ratios"]["median_ms"].update(low="low")),
     r"invalid perfbench.ab document: A/B document.ratios.median_ms.low must be a finite"),
    (_ab(lambda d: d["epochs"][0]["rounds"][0].update(base=[1])),
     r"A/B document.epochs\[0\].rounds\[0\].base must be an object"),
    (_ab(lambda d: d.pop("verdict")), "A/B document.verdict must be a string"),
    (_fleet(lambda d: d.update(classes="x")), "classes must be a list"),
    (_fleet(lambda d: d["classes"][0].update(fps="fast")),
     r"classes\[0\].fps.value must be a finite number"),
    (_fleet(lambda d: d["classes"][0]["plan"].pop("fps_per_machine")),
     r"plan.fps_per_machine must be a finite number"),
    ({"schema": "perfbench.shapes", "schema_version": 1, "status": "complete",
      "shapes_requested": 1, "shapes_measured": 1, "results": [1]}, "shape 1"),
    ([1, 2], "not a document perfbench report draws"),
    ({"schema": 5}, "not a document perfbench report draws"),
]


@pytest.mark.parametrize("document,message", MALFORMED)
def test_perfbench_report_on_a_malformed_document_is_one_line_and_exit_2(
        tmp_path, capsys, document, message):
    pytest.importorskip("plotly")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    assert main(["report", str(path), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert str(path) in err and re.search(message, err), err



def _places(document, path=(), depth=4):
    """Every place in a JSON document down to ``depth`` (the path to it): its structure
    and the figures in it, not the leaves of a latency histogram."""
    if path:
        yield path
    if len(path) >= depth:
        return
    items = document.items() if isinstance(document, dict) else (
        enumerate(document) if isinstance(document, list) else ())
    for key, value in items:
        yield from _places(value, (*path, key), depth)


_DELETE = object()
#: What a hand-edited or truncated file holds where a reader expects something else.
WRONG = ("x", {"x": [1]}, None, 1e999, _DELETE)


def _with(document, path, value):
    """A copy of ``document`` with ``value`` at ``path`` (deleted for ``_DELETE``)."""
    copy = json.loads(json.dumps(document))
    *above, last = path
    holder = copy
    for key in above:
        holder = holder[key]
    if value is _DELETE:
        del holder[last]
    else:
        holder[last] = value
    return copy


#: One frozen file of every kind at today's version (the fleet report's with runs).
CURRENT = ["result_v4.json", "shapes_v1.json", "fleet-run_v1.json", "server-search_v3.json",
           "ab_v7.json", "comparison_v4.json", "suite_v2/suite.json",
           "sweep_v3-race.json", "sweep_v3-fidelity.json", "fleet-report_v2-runs.json"]


@pytest.mark.parametrize("name", CURRENT)
def test_a_malformed_value_anywhere_is_read_or_one_usage_error(name):
    """Issue 25: a malformed sweep drew a traceback.  At 40 seeded places of a real
    document, each of five wrong values (a string, a table, null, a number too large for
    a float, the key deleted): the registry reads the document (a value no reader needs)
    or refuses it with one line naming it, never another exception."""
    import random
    document = json.loads((DATA / name).read_text())
    places = [p for p in _places(document) if p[0] != "schema"]
    refused = 0
    for place in random.Random(name).sample(places, min(40, len(places))):
        for value in WRONG:
            try:
                read_document(_with(document, place, value), "bad.json")
            except UsageError as exc:
                refused += 1
                assert "\n" not in str(exc) and str(exc).startswith("bad.json"), (place, exc)
    assert refused > 0          # the sample reached values a reader needs


#: The frozen files ``perfbench report`` draws, one of each kind it draws.
DRAWN = ["sweep_v3-race.json", "ab_v7.json", "result_v4.json", "fleet-report_v2-runs.json",
         "shapes_v1.json", "suite_v2/suite.json"]


@pytest.mark.parametrize("name", DRAWN)
def test_perfbench_report_on_a_value_of_the_wrong_kind_draws_or_says_one_line(
        tmp_path, capsys, name):
    """What the registry reads, the page draws: at 6 seeded places a value of another
    kind, and ``perfbench report`` either draws the file or says in one line, exit 2,
    what is wrong; it never raises."""
    pytest.importorskip("plotly")
    import random
    document = json.loads((DATA / name).read_text())
    places = [p for p in _places(document) if p[0] != "schema"]
    path = tmp_path / "bad.json"
    for place in random.Random(name).sample(places, min(6, len(places))):
        path.write_text(json.dumps(_with(document, place, "x")))
        status = main(["report", str(path), "-o", str(tmp_path / "r.html")])
        err = capsys.readouterr().err
        assert status in (0, 2), (place, err)
        if status == 2:
            assert err.count("\n") == 1 and str(path) in err, (place, err)


@pytest.mark.parametrize("edit", [
    lambda d: d["sides"].update(base="x"),                  # a side that is no table
    lambda d: d.update(host={"hardware_class": ["a"]}),     # a name that is a list
    lambda d: d["sides"]["new"].update(openvino={"v": 1}),
])
def test_perfbench_report_on_an_ab_file_with_odd_inner_values(tmp_path, capsys, edit):
    """Review 2 (M1): values inside ``sides`` and ``host`` were read after the registry's
    checks, by the page's provenance line: a traceback.  Each is now refused in one line
    or drawn with no name."""
    pytest.importorskip("plotly")
    document = json.loads((DATA / "ab_v7.json").read_text())
    edit(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    status = main(["report", str(path), "-o", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert status in (0, 2) and "Traceback" not in err
    if status == 2:
        assert err.count("\n") == 1 and str(path) in err


def test_json_nested_too_deeply_is_one_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000)
    from perfbench.results.registry import read_json
    with pytest.raises(UsageError, match="nested too deeply"):
        read_json(str(path))
