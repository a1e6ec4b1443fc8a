"""Inputs recognised by what they are; anything else is one line, exit 2."""

import json

import pytest

from perfbench.cli.main import main
from perfbench.errors import UsageError
from perfbench.report.loader import load_input
from tests.models import synthetic_document


def test_a_version_1_result_loads_and_the_page_says_what_it_cannot_show(tmp_path):
    from perfbench.report.page import build
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(synthetic_document([100.0, 110.0], window_fps=[100, 105, 98])))
    item = load_input(str(path))
    assert item.kind == "run" and item.version == 1
    assert "schema version 1: it stores percentiles but no latency histogram" in \
        build([item], [])


@pytest.mark.parametrize("content,message", [
    ('{"schema": "other"}', "not a document perfbench report draws"),
    ('{"schema": "perfbench.sweep", "schema_version": 7}', "perfbench.sweep version 7"),
    ("not json", "corrupt JSON"),
])
def test_what_is_not_a_perfbench_input_is_named(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        load_input(str(path))


def test_report_refuses_bad_input_with_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file or directory" in err
    assert main(["report", str(tmp_path), "-o", str(tmp_path / "r.txt")]) == 2


def test_html_is_refused_before_measuring_when_the_extra_is_missing(tmp_path, capsys,
                                                                     monkeypatch):
    """plotly made unimportable: every command with --html stops at once with the extra's
    name, before any model is read (the model path does not even exist)."""
    import sys
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    page = str(tmp_path / "r.html")
    for argv in (["run", "-m", "/nonexistent.xml", "--html", page],
                 ["sweep", "-m", "/nonexistent.xml", "--streams", "1,2", "--html", page],
                 ["ab", "/nonexistent.xml", "builtin", "--html", page],
                 ["compare", "/nonexistent.json", "/nonexistent.json", "--html", page],
                 ["fleet", "report", "/nonexistent", "--html", page],
                 ["report", "/nonexistent", "-o", page]):
        assert main(argv) == 2, argv
        assert "pip install 'perfbench[report]'" in capsys.readouterr().err, argv


def _fleet_run_of_suites(root):
    """A ``fleet run … -- suite`` output directory, by hand: fleet-run.json and one suite
    directory per node (two models, two CPUs)."""
    root.mkdir()
    (root / "fleet-run.json").write_text(json.dumps({"schema": "perfbench.fleet-run",
                                                     "nodes": []}))
    for node, cpu, fps in (("node-a", "cpu A", {"conv": 300.0, "mlp": 400.0}),
                           ("node-b", "cpu B", {"conv": 100.0, "mlp": 900.0})):
        (root / node).mkdir()
        entries = []
        for model, value in fps.items():
            doc = synthetic_document([value, value], model=model, cpu=cpu)
            (root / node / f"{model}.json").write_text(json.dumps(doc))
            entries.append({"name": model, "model": model, "status": "ok",
                            "file": f"{model}.json"})
        (root / node / "suite.json").write_text(json.dumps(
            {"schema": "perfbench.suite", "schema_version": 1, "entries": entries}))


@pytest.mark.parametrize("given", [".", "fleet-run.json"])
def test_a_fleet_run_of_suites_directory_is_read_per_model(tmp_path, given):
    from perfbench.report.page import build
    _fleet_run_of_suites(tmp_path / "run")
    from perfbench.sizing.fleet import directory_report
    item = load_input(str(tmp_path / "run" / given), directory_report)
    assert item.kind == "fleet" and item.data.classes == ()
    assert sorted((m.model, m.fps.value) for m in item.data.models) == \
        [("conv", 100), ("conv", 300), ("mlp", 400), ("mlp", 900)]
    assert len(item.provenance["hardware_class"]) == 2
    assert 'id="fleet-0-models"' in build([item], [])


def test_a_fleet_report_json_file_is_drawn(tmp_path):
    """``fleet report --json`` writes ``results`` as a count, not a list of results: the
    page (and ``fleet report --html``) must read it, not fail on it with a traceback."""
    pytest.importorskip("plotly")
    _fleet_run_of_suites(tmp_path / "run")
    doc = tmp_path / "fleet.json"
    assert main(["fleet", "report", str(tmp_path / "run"), "--mix", "conv=600",
                 "--json", str(doc), "--html", str(tmp_path / "a.html")]) == 0
    item = load_input(str(doc))
    assert item.kind == "fleet" and len(item.provenance["hardware_class"]) == 2
    assert main(["report", str(doc), "-o", str(tmp_path / "b.html")]) == 0
    assert 'id="fleet-0-mix"' in (tmp_path / "b.html").read_text()


def test_compare_html_draws_the_verdicts_the_command_took(tmp_path):
    """The page re-ran compare at the defaults: with --threshold 40 % a 30 % FPS drop is no
    regression for the command but was one on the page.  It must show the command's own."""
    import json
    from perfbench.cli.main import main
    from tests.models import synthetic_document
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(json.dumps(synthetic_document([100, 100], model="m")))
    new.write_text(json.dumps(synthetic_document([70, 70], model="m")))
    out, page = tmp_path / "c.json", tmp_path / "c.html"
    main(["compare", str(base), str(new), "--threshold", "40%", "--json", str(out),
          "--html", str(page)])
    fps = next(m for m in json.loads(out.read_text())["metrics"] if m["name"] == "fps")
    assert fps["verdict"] == "no significant change"
    html = page.read_text()
    assert "<td>NEW</td><td>fps</td>" in html
    row = html[html.index("<td>NEW</td><td>fps</td>"):]
    row = row[:row.index("</tr>")]
    assert "<td>40 %</td><td>no significant change</td>" in row


@pytest.mark.parametrize("document", [
    {"schema": "perfbench.ab", "schema_version": 2},                      # no verdict, epochs
    {"schema": "perfbench.suite", "schema_version": 1, "suite": "s", "status": "complete",
     "entries": [1], "summary": {}},
])
def test_a_document_that_lacks_what_its_view_reads_is_one_line(tmp_path, document):
    import json
    path = tmp_path / "x.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError, match=r"x.json: not a complete perfbench\.\w+ document"):
        from perfbench.report.page import build
        build([load_input(str(path))], [])


def test_a_suite_header_names_the_openvino_and_hardware_its_entries_recorded(tmp_path):
    """Issue 30, item 11: the page header said "not recorded" for every suite, although
    suite.json records its entries' provenance."""
    import json
    from perfbench.report.loader import load_input
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"schema": "perfbench.suite", "schema_version": 1,
                                "suite": "s", "status": "complete", "entries": [],
                                "provenance": {"openvino": ["2026.4.1"],
                                               "hardware_class": ["amd-epyc-2c"]}}))
    item = load_input(str(tmp_path))
    assert item.provenance == {"openvino": ["2026.4.1"], "hardware_class": ["amd-epyc-2c"]}
