"""The suite summary's lines: an A/B entry's verdict with the interval and level it was
judged on, beside the descriptive 95 % interval."""

from perfbench.reporters.suite_report import comparison_lines, markdown


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
    assert line in comparison_lines(_suite(row))
    assert f"- {line}" in markdown(_suite(row))
    server = dict(row, judged_metric="median_ms", judged_ci_low=None, judged_ci_high=None)
    assert comparison_lines(_suite(server))[-1].endswith(
        "regression; judged on p50 latency at 99.44 % (one of 9): no interval")
