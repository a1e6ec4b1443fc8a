"""The suite view on a hand-written ``perfbench.suite`` v1 document (the suites issue's
shape): status table, FPS with intervals, ratio charts with the geomean."""

import dataclasses
import json

import pytest

from perfbench.report.loader import load_input
from perfbench.report.page import build

SUITE = {
    "schema": "perfbench.suite", "schema_version": 1, "suite": "zoo", "status": "partial",
    "entries": [
        {"name": "conv-bf16", "model": "conv.xml", "settings": {"precision": "bf16"},
         "status": "ok", "file": "conv-bf16.json", "message": None, "wall_s": 12.0,
         "headline": {"fps": 812.5, "fps_low": 800.0, "fps_high": 825.0, "p50_ms": 2.25,
                      "p99_ms": 3.5, "compile_ms": 120.0, "peak_rss_mb": 310.0,
                      "precision": "bf16"}},
        {"name": "mlp-int8", "model": "mlp.xml", "settings": {"precision": "int8"},
         "status": "ok", "file": "mlp-int8.json", "message": None, "wall_s": 9.0,
         "headline": {"fps": 4321.0, "fps_low": 4200.0, "fps_high": 4400.0, "p50_ms": 0.4,
                      "p99_ms": 0.9, "compile_ms": 80.0, "peak_rss_mb": 250.0,
                      "precision": "int8"}},
        {"name": "big-f32", "model": "big.xml", "settings": {}, "status": "oom",
         "file": None, "message": "killed by the out-of-memory killer", "wall_s": 3.0,
         "headline": None}],
    "summary": {"entries": 3, "ok": 2, "failed": 1, "geomean_fps": 1873.1},
    "baseline": {"source": "old/", "entries": [
        {"name": "conv-bf16", "verdict": "no change", "ratio": 0.99, "ci_low": 0.97,
         "ci_high": 1.01},
        {"name": "mlp-int8", "verdict": "regression", "ratio": 0.9, "ci_low": 0.88,
         "ci_high": 0.92}],
        "geomean": {"ratio": 0.944, "ci_low": 0.92, "ci_high": 0.97, "scope": "fixed"},
        "new_failures": ["big-f32"], "fixed_failures": [], "missing": []},
    "ab": None}


def test_a_suite_directory_is_recognised_and_drawn(tmp_path):
    (tmp_path / "suite.json").write_text(json.dumps(SUITE))
    item = load_input(str(tmp_path))
    assert item.kind == "suite" and item.version == 1
    page = build([item], ["report", str(tmp_path)])
    assert 'id="suite-0-fps"' in page and 'id="suite-0-baseline"' in page
    assert "2/3 entries ok" in page and "new failures: big-f32" in page
    assert "gate not recorded" in page and 'class="badge warn"' in page
    assert "killed by the out-of-memory killer" in page
    # the FPS chart holds the two entries that ran, with their stored intervals
    fps = page[page.index('id="suite-0-fps"'):]
    assert '"x":["conv-bf16","mlp-int8"]' in fps.replace(" ", "")
    assert "geomean 0.9440 (fixed)" in page


def test_an_a_b_entry_shows_the_interval_its_verdict_was_judged_on(tmp_path):
    """Beside the 95 % interval, the verdict names the wider one it was judged on."""
    ab = {"entries": [{"name": "conv-bf16", "verdict": "no regression", "ratio": 0.99,
                       "ci_low": 0.98, "ci_high": 1.0, "judged_metric": "fps",
                       "judged_level": 0.975, "judged_ci_low": 0.975, "judged_ci_high": 1.005,
                       "family_size": 2}], "geomean": None, "failed": []}
    (tmp_path / "suite.json").write_text(json.dumps(dict(SUITE, baseline=None, ab=ab)))
    page = build([load_input(str(tmp_path))], ["report", str(tmp_path)])
    assert "no regression; judged at 97.5 % (one of 2): [0.975, 1.005]" in page


def test_the_geomean_row_has_its_verdict_and_unconfirmed_regressions_are_named(tmp_path):
    base = json.loads(json.dumps(SUITE["baseline"]))
    base["entries"][1].update(verdict="unconfirmed regression", new_disturbed=True,
                              disturbed=["new: other_processes_cpu 40.0 (limit 10.0)"])
    base["geomean"] = {"ratio": 0.9, "ci_low": 0.85, "ci_high": 0.95, "scope": "random",
                       "between_sd_pct": 4.0, "verdict": "unconfirmed regression"}
    base["no_history"] = ["big-f32"]
    (tmp_path / "suite.json").write_text(json.dumps(dict(SUITE, baseline=base, ab=None)))
    page = build([load_input(str(tmp_path))], ["report", str(tmp_path)])
    assert "<td>unconfirmed regression (random)</td>" in page
    assert ("unconfirmed regressions, measured on a disturbed machine: mlp-int8, the geomean; "
            "re-run them on a quiet machine (--select mlp-int8)") in page
    assert "mlp-int8: measured on a disturbed machine (new: other_processes_cpu 40.0" in page
    assert "no history for: big-f32" in page


def test_the_chart_draws_the_interval_each_verdict_was_judged_on(tmp_path):
    """Beside the 95 % bars, the wider interval each entry was judged on as one of nine."""
    base = json.loads(json.dumps(SUITE["baseline"]))
    base["entries"][1].update(judged_ci_low=0.85, judged_ci_high=0.951,
                              judged_level=1 - 0.05 / 9, family_size=9)
    (tmp_path / "suite.json").write_text(json.dumps(dict(SUITE, baseline=base, ab=None)))
    page = build([load_input(str(tmp_path))], ["report", str(tmp_path)])
    assert "interval the verdict was judged on" in page
    flat = page.replace(" ", "")
    assert '"name":"intervaltheverdictwasjudgedon","text":["99.44%"],"x":[0.9]' in flat
    assert '"arrayminus":[0.050000000000000044]' in flat               # 0.9 − 0.85


def _judged_suite(tmp_path, new_fps: dict, statuses: dict | None = None):
    """A suite directory judged against a baseline by the code itself: the entries'
    results, the baseline block of :func:`against_suite`, the gate of the command."""
    from perfbench.cli.commands.suite import exit_status, gate
    from perfbench.results import load
    from perfbench.suite.baseline import against_suite
    from perfbench.suite.document import document
    from tests.models import synthetic_document

    def directory(path, fps_by_name, statuses):
        path.mkdir()
        records = []
        for name, fps in fps_by_name.items():
            status = statuses.get(name, "ok")
            if status == "ok":
                (path / f"{name}.json").write_text(json.dumps(synthetic_document(
                    fps, model=name)))
            records.append({"name": name, "model": name, "model_path": name,
                            "settings": {}, "status": status,
                            "file": f"{name}.json" if status == "ok" else None,
                            "message": None if status == "ok" else "timed out",
                            "headline": None, "wall_s": 1.0,
                            "provenance": {"openvino": ["2026.4.1"],
                                           "hardware_class": ["zen3-2c"]}})
        return document("zoo", records)
    base_fps = {name: [100, 100] for name in new_fps}
    base = directory(tmp_path / "base", base_fps, {})
    new = directory(tmp_path / "new", new_fps, statuses or {})
    results = {r.name: load(str(tmp_path / "base" / r.file)) for r in base.entries}
    new = dataclasses.replace(new, baseline=against_suite(new, str(tmp_path / "new"), base,
                                                          results, "base"))
    new = dataclasses.replace(new, gate=gate(new, None))
    (tmp_path / "new" / "suite.json").write_text(json.dumps(new.to_dict()))
    page = build([load_input(str(tmp_path / "new"))], ["report", str(tmp_path / "new")])
    return page, exit_status(new, None), new


@pytest.mark.parametrize("new_fps, statuses, code, colour", [
    ({"a": [100, 100], "b": [101, 101]}, None, 0, "ok"),
    ({"a": [100, 100], "b": [40, 40], "c": [99, 99], "d": [100, 100]}, None, 1, "bad"),
    ({"a": [100, 100], "b": [100, 100]}, {"b": "timeout"}, 1, "bad"),
])
def test_the_badge_states_the_gates_outcome_in_its_colour(tmp_path, new_fps, statuses,
                                                          code, colour):
    """"4/4 ok" in green with a regression, "1/2 ok" with a timeout, both exit 1 (issue 30,
    item 11): the badge is the gate's, and its colour follows the exit status."""
    page, exit_code, doc = _judged_suite(tmp_path, new_fps, statuses)
    assert exit_code == code == doc.gate.exit_status
    assert f'class="badge {colour}">{doc.gate.outcome} (exit {code})' in page
    section = page[page.index('<section id="suite-0"'):]
    assert section.index("Gate: ") < section.index("<th>entry</th>")   # the outcome first
    if code == 1 and not statuses:
        assert "regression in b" in doc.gate.outcome


def test_the_ratio_table_shows_both_sides_and_the_provenance(tmp_path):
    page, _, doc = _judged_suite(tmp_path, {"a": [100, 100], "b": [50, 50]})
    row = next(r for r in doc.baseline.entries if r.name == "b")
    assert (row.base_fps, row.new_fps) == (pytest.approx(100), pytest.approx(50))
    flat = page.replace(" ", "")
    assert "<th>BASEFPS</th><th>NEWFPS</th><th>BASEp50ms</th><th>NEWp50ms</th>" in flat
    assert "<td>b</td><td>100.0</td><td>50.00</td><td>10.00</td><td>20.00</td>" in flat
    assert "<td>OpenVINO (of the entries)</td><td>2026.4.1</td>" in page
    assert "<td>hardware class</td><td>zen3-2c</td>" in page
    assert "{'" not in page.split("suite-0-fps")[1].split("</script>")[0]  # no dict text


def test_an_ab_block_shows_its_sides_and_excluded_entries(tmp_path):
    ab = {"entries": [{"name": "conv-bf16", "verdict": "no regression", "ratio": 0.99,
                       "ci_low": 0.98, "ci_high": 1.0, "epochs": 6, "stop_reason": "decided",
                       "openvino": {"base": "2025.1", "new": "2026.4.1"}}],
          "geomean": {"ratio": 0.99, "ci_low": 0.98, "ci_high": 1.0, "scope": "fixed",
                      "excluded": ["mlp-int8"], "verdict": "no significant change",
                      "random": {"ratio": 0.99, "ci_low": 0.9, "ci_high": 1.1,
                                 "scope": "random: models like these"}},
          "failed": [], "base": {"python": "/old/python", "set": None},
          "new": {"python": "/new/python", "set": None}}
    (tmp_path / "suite.json").write_text(json.dumps(dict(SUITE, baseline=None, ab=ab)))
    page = build([load_input(str(tmp_path))], ["report", str(tmp_path)])
    assert "<td>BASE</td><td>/old/python</td><td>–</td><td>2025.1</td>" in page
    assert "<td>NEW</td><td>/new/python</td><td>–</td><td>2026.4.1</td>" in page
    assert "not in the geomean: mlp-int8" in page and "(random: models like these)" in page
    assert "<td>6</td><td>decided</td>" in page


def test_the_top_cause_of_each_entry_is_a_table_beside_the_ab(tmp_path):
    """`suite --ab --attribute`: the document's top cause per entry, in its own table."""
    cause = {"node": "conv1", "type": "Convolution",
             "contribution_ms": {"value": 0.0123, "low": 0.01, "high": 0.0146, "level": 0.99},
             "share_pct": 4.56, "changes": ["precision bf16 → f32"], "beyond_level": True}
    ab = {"entries": [{"name": "conv-bf16", "verdict": "regression",
                       "ratio": {"ratio": 0.95, "low": 0.94, "high": 0.96, "level": 0.95},
                       "attribution": "complete", "attribution_error": None,
                       "top_cause": cause},
                      {"name": "mlp-int8", "verdict": "no regression",
                       "attribution": "failed", "attribution_error": "the worker died",
                       "top_cause": None}],
          "geomean": None, "failed": []}
    (tmp_path / "suite.json").write_text(json.dumps(dict(SUITE, schema_version=2,
                                                         entries=[], baseline=None, ab=ab)))
    page = build([load_input(str(tmp_path))], ["report", str(tmp_path)])
    flat = page.replace(" ", "")
    assert "Topcauseperentry" in flat
    assert "<td>conv-bf16</td><td>conv1</td><td>Convolution</td><td>0.0123</td>" in flat
    assert "<td>+4.6%</td><td>precisionbf16→f32</td>" in flat
    assert "attribution failed: the worker died" in page
