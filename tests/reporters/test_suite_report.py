"""The suite's text outputs (terminal lines, Markdown, CSV) on constructed suite documents:
each figure shown is the document's own, and a verdict names the interval and level it was
judged on beside the descriptive 95 % one."""

import csv
import io

from perfbench.reporters import suite_report
from perfbench.reporters.suite_report import comparison_lines, markdown
from perfbench.results.suite import SuiteDocument, upgrade_suite_v1


def typed(doc: dict) -> SuiteDocument:
    """A hand-written suite document in version 1's spelling, as the registry reads it."""
    return SuiteDocument.from_dict(upgrade_suite_v1(doc))


def _doc():
    head = {"fps": 1234.5, "fps_low": 1200.0, "fps_high": 1269.0, "p50_ms": 1.5,
            "p99_ms": 3.25, "compile_ms": 40.0, "peak_rss_mb": 130.0, "precision": "bf16"}
    return {
        "suite": "zoo", "status": "complete",
        "summary": {"entries": 2, "ok": 1, "failed": 1},
        "entries": [
            {"name": "conv|a", "model": "conv", "status": "ok", "headline": head,
             "wall_s": 12.0, "message": None},
            {"name": "mlp", "model": "mlp", "status": "timeout", "headline": None,
             "wall_s": 60.0, "message": "no result within 60 s"}],
        "baseline": {
            "entries": [{"name": "conv|a", "ratio": 0.87, "ci_low": 0.78, "ci_high": 0.97,
                         "judged_ci_low": 0.74, "judged_ci_high": 1.02,
                         "judged_level": 1 - 0.05 / 9, "family_size": 9,
                         "verdict": "no significant change",
                         "disturbed": ["new: other_processes_cpu 28.9 (limit 10.0)"]}],
            "geomean": {"ratio": 0.99, "ci_low": 0.9, "ci_high": 1.09, "scope": "random",
                        "between_sd_pct": 4.2, "verdict": "no significant change"},
            "new_failures": ["mlp"], "fixed_failures": [], "missing": []}}


def test_a_verdict_is_shown_with_the_interval_it_was_judged_on():
    lines = suite_report.comparison_lines(typed(_doc()))
    assert "mlp: timeout: no result within 60 s" in lines
    entry = next(x for x in lines if x.startswith("against the baseline: conv|a: ratio"))
    # compare's 95 % interval, then the stricter one the verdict was judged on, named
    assert entry == ("against the baseline: conv|a: ratio 0.870 [0.780, 0.970] no significant "
                     "change; judged at 99.44 % (one of 9): [0.740, 1.020]")
    assert any("measured on a disturbed machine (new: other_processes_cpu 28.9" in x
               and "--select conv|a" in x for x in lines)
    assert any(x.startswith("against the baseline: geomean ratio 0.990 [0.900, 1.090]")
               for x in lines)
    assert "new failures: mlp" in lines


def test_a_lone_comparison_row_shows_its_95_percent_interval():
    doc = _doc()
    row = doc["baseline"]["entries"][0]
    for key in ("judged_ci_low", "judged_ci_high", "judged_level", "family_size",
                "disturbed"):
        row.pop(key)
    entry = next(x for x in suite_report.comparison_lines(typed(doc)) if "conv|a: ratio" in x)
    assert entry.endswith("ratio 0.870 [0.780, 0.970] no significant change")
    row.update(judged_level=0.95, judged_ci_low=0.78, judged_ci_high=0.97, family_size=1)
    assert entry == next(x for x in suite_report.comparison_lines(typed(doc)) if "conv|a: r" in x)


def test_markdown_escapes_cells_and_csv_keeps_the_numbers():
    doc = _doc()
    md = suite_report.markdown(typed(doc))
    assert "| conv\\|a | ok | 1,234 | [1,200, 1,269] |" in md
    assert "- new failures: mlp" in md
    table = list(csv.reader(io.StringIO(suite_report.csv_text(typed(doc)))))
    assert table[1][:6] == ["conv|a", "conv", "ok", "1234.5", "1200.0", "1269.0"]
    assert table[2][2] == "timeout" and table[2][-1] == "no result within 60 s"


def _suite(row: dict) -> dict:
    return {"suite": "zoo", "status": "complete", "entries": [
        {"name": row["name"], "model": "m.xml", "status": "ok", "message": None,
         "headline": None}], "summary": {"entries": 1, "ok": 1, "failed": 0},
        "baseline": None, "ab": {"entries": [row], "geomean": None, "failed": []}}


def test_an_a_b_verdict_names_its_judged_interval_and_family():
    row = {"name": "conv", "verdict": "regression", "ratio": 0.95, "ci_low": 0.94,
           "ci_high": 0.96, "judged_metric": "fps", "judged_level": 1 - 0.05 / 9,
           "judged_ci_low": 0.931, "judged_ci_high": 0.969, "family_size": 9}
    line = "A/B NEW/BASE: conv: ratio 0.950 [0.940, 0.960] regression; judged at 99.44 % " \
           "(one of 9): [0.931, 0.969]"
    assert line in comparison_lines(typed(_suite(row)))
    assert f"- {line}" in markdown(typed(_suite(row)))
    server = dict(row, judged_metric="median_ms", judged_ci_low=None, judged_ci_high=None)
    assert comparison_lines(typed(_suite(server)))[-1].endswith(
        "regression; judged on p50 latency at 99.44 % (one of 9): no interval")


def test_unconfirmed_regressions_name_the_entries_to_re_run():
    doc = _doc()
    doc["baseline"]["entries"][0]["verdict"] = "unconfirmed regression"
    doc["baseline"]["geomean"]["verdict"] = "unconfirmed regression"
    assert suite_report.comparison_lines(typed(doc))[-1] == (
        "unconfirmed regressions, measured on a disturbed machine: conv|a, the geomean; "
        "re-run them on a quiet machine (--select conv|a) before blaming the change")


def test_terminal_lines_are_not_broken_inside_a_figure():
    """A CI log is read and grepped line by line: a narrow console wrapped an interval
    across two lines ("[0.823," / "1.142]")."""
    from rich.console import Console
    console = Console(file=io.StringIO(), width=60, color_system=None)
    suite_report.render(typed(_doc()), console)
    text = console.file.getvalue()
    assert ("against the baseline: conv|a: ratio 0.870 [0.780, 0.970] no significant change; "
            "judged at 99.44 % (one of 9): [0.740, 1.020]\n") in text


def test_a_level_is_never_rounded_to_100_percent():
    """A large suite's interim level 1 − 0.01/200 printed "judged at 100 %"."""
    assert suite_report.level_text(0.95) == "95 %"
    assert suite_report.level_text(0.975) == "97.5 %"
    assert suite_report.level_text(0.99) == "99 %"
    assert suite_report.level_text(1 - 0.05 / 9) == "99.44 %"
    assert suite_report.level_text(1 - 0.01 / 200) == "99.9950 %"


def test_a_latency_regression_names_its_metric_and_a_disturbed_baseline_its_remedy():
    doc = _doc()
    row = doc["baseline"]["entries"][0]
    row.update(verdict="regression", ratio=1.0, new_disturbed=False,
               disturbed=["baseline: other_processes_cpu 40.0 (limit 10.0)"],
               regressions=[{"name": "p90", "change_pct": 60.0, "ci_low_pct": 35.21,
                             "ci_high_pct": 89.13}])
    lines = suite_report.comparison_lines(typed(doc))
    entry = next(x for x in lines if "conv|a: ratio" in x)
    assert entry.endswith("regression; judged at 99.44 % (one of 9): [0.740, 1.020]; "
                          "p90 +60.0 % [+35.2 %, +89.1 %]")
    assert any(x.endswith("(baseline: other_processes_cpu 40.0 (limit 10.0)): the slow "
                          "baseline may hide a regression; measure the baseline again")
               for x in lines)


def test_a_row_whose_fps_interval_says_nothing_is_not_measured():
    """Issue 24: a row read "118.0 [-85.65, 321.7]".  Rate intervals are on the log scale
    now, so never below zero; one wider than a factor of e either way says nothing and is
    printed as not measured."""
    doc = _doc()
    doc["entries"][0]["headline"] = dict(doc["entries"][0]["headline"], fps=118.0,
                                         fps_low=24.0, fps_high=580.0)
    row = suite_report.rows(typed(doc))[0]
    assert row[3] == "not measured (interval wider than ×e either way)"
    assert suite_report.rows(typed(_doc()))[0][3] == "[1,200, 1,269]"


def _attributed(top_cause, status="complete", error=None):
    row = {"name": "conv", "verdict": "regression",
           "ratio": {"ratio": 0.95, "low": 0.94, "high": 0.96, "level": 0.95},
           "judged_metric": "fps", "family_size": 1, "status": "ok",
           "attribution": status, "attribution_error": error, "top_cause": top_cause}
    return SuiteDocument.from_dict({"suite": "zoo", "status": "complete", "entries": [],
                                    "ab": {"entries": [row], "geomean": None, "failed": []}})


def test_an_entrys_top_cause_is_one_line_with_its_interval_and_what_changed():
    """`suite --ab --attribute`: the attribution's first node, as it stated it."""
    cause = {"node": "conv1", "type": "Convolution",
             "contribution_ms": {"value": 0.0123, "low": 0.01, "high": 0.0146, "level": 0.99},
             "share_pct": 4.56, "changes": ["execType brgconv_avx512_bf16 → jit_avx2",
                                            "precision bf16 → f32"], "beyond_level": True}
    lines = comparison_lines(_attributed(cause))
    assert "A/B NEW/BASE: conv: top cause conv1 (Convolution): +0.0123 ms per inference " \
           "[+0.0100, +0.0146] at 99 %, +4.6 % of BASE; execType brgconv_avx512_bf16 → " \
           "jit_avx2; precision bf16 → f32" in lines
    noise = dict(cause, beyond_level=False, changes=[])
    assert comparison_lines(_attributed(noise, "interrupted"))[2].endswith(
        "no change in implementation, precision or fusion; its interval holds 0: no node "
        "stands out (attribution interrupted)")
    failed = comparison_lines(_attributed(None, "failed", "the worker died"))
    assert "A/B NEW/BASE: conv: attribution failed: the worker died" in failed
    plain = comparison_lines(_attributed(None, None))
    assert not any("attribution" in line or "top cause" in line for line in plain)
