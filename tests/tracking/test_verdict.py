"""Verdict logic on constructed results whose right answer is known."""

import dataclasses
import json
import math
import statistics

import numpy as np
import pytest

from perfbench.cli.main import main
from perfbench.tracking.verdict import compare, parse_noise_floors, parse_thresholds
from tests.models import synthetic_document, synthetic_result


def _verdicts(base, new, thresholds=(), strict=False):
    result = compare(base, new, ["base"] * len(base), ["new"] * len(new),
                     parse_thresholds(list(thresholds)), strict)
    return {c.name: c.verdict for c in result.changes}, result


def test_clear_ten_percent_regression_is_caught():
    """Three runs a side (run-to-run noise measured, ~2 % here)."""
    base = [synthetic_result([f, f + 0.5, f - 0.5]) for f in (100, 102, 98)]
    new = [synthetic_result([f, f + 0.5, f - 0.5]) for f in (90, 91.8, 88.2)]
    verdicts, result = _verdicts(base, new)
    assert verdicts["fps"] == "regression" and verdicts["gflops"] == "regression"
    assert verdicts["p50"] == "regression" and verdicts["p99"] == "regression"
    assert result.exit_code == 1
    fps = next(c for c in result.changes if c.name == "fps")
    assert fps.change_pct == pytest.approx(-10.0)
    assert fps.samples == "runs" and fps.diff_ci_pct[1] < 0


def test_single_runs_catch_fifteen_percent_and_cannot_clear_a_drift_sized_ten():
    """One run a side: the assumed run-to-run noise (4 % CV for FPS) makes ±11 % the
    resolution, the size of drift seen between identical runs on the CI machines.  A 10 %
    drop is not called, nor can it be excluded (its interval reaches −20 %, beyond 5 % +
    11 %): inconclusive, exit 3.  A 3 % drop's interval (−14 %) stays within: a pass."""
    base = synthetic_result([100, 101, 99, 100, 100])
    verdicts, result = _verdicts([base], [synthetic_result([85, 86, 84, 85, 85])])
    assert verdicts["fps"] == "regression" and result.exit_code == 1
    verdicts, result = _verdicts([base], [synthetic_result([90, 91, 89, 90, 90])])
    assert verdicts["fps"] == "inconclusive" and result.exit_code == 3
    assert result.outcome == "inconclusive"
    verdicts, result = _verdicts([base], [synthetic_result([97, 98, 96, 97, 97])])
    assert verdicts["fps"] == "no significant change" and result.exit_code == 0
    fps = next(c for c in result.changes if c.name == "fps")
    assert fps.samples == "trials"


def test_pure_noise_is_not_flagged():
    rng = np.random.default_rng(11)
    flagged = 0
    for _ in range(50):
        base = synthetic_result(list(100 * (1 + rng.normal(0, 0.03, 3))))
        new = synthetic_result(list(100 * (1 + rng.normal(0, 0.03, 3))))
        flagged += compare([base], [new], ["b"], ["n"], parse_thresholds([])).exit_code == 1
    assert flagged == 0


def test_three_percent_change_under_five_percent_threshold_is_not_flagged():
    base = [synthetic_result([f]) for f in (100.0, 100.2, 99.8, 100.1)]
    new = [synthetic_result([f]) for f in (97.0, 97.2, 96.8, 97.1)]
    verdicts, result = _verdicts(base, new)
    fps = next(c for c in result.changes if c.name == "fps")
    assert fps.significant                       # real, but small
    assert verdicts["fps"] == "no significant change" and result.exit_code == 0
    verdicts, result = _verdicts(base, new, ["fps=2%"])
    assert verdicts["fps"] == "regression" and verdicts["gflops"] == "regression"  # follows fps
    verdicts, result = _verdicts(base, new, ["fps=2%", "gflops=5%"])
    assert verdicts["gflops"] == "no significant change"


def test_single_runs_assume_the_run_to_run_noise_floor():
    """Trials of one run agree to 0.1 %, but whole runs on CI machines differ by ~3 %: a
    7 % gap between two single runs is within that noise and must not fail the gate (it
    cannot pass it either: −7 % ± 11 % reaches past 5 % + 11 %, so it is inconclusive)."""
    base = synthetic_result([100.0, 100.1, 99.9])
    new = synthetic_result([93.0, 93.1, 92.9])
    verdicts, result = _verdicts([base], [new])
    assert verdicts["fps"] == "inconclusive" and result.exit_code == 3
    assert any("--noise-floor" in w for w in result.warnings)
    strict = compare([base], [new], ["b"], ["n"], parse_thresholds([]),
                     noise_floors=parse_noise_floors(["0"]))
    assert next(c for c in strict.changes if c.name == "fps").verdict == "regression"


def test_big_but_noisy_change_is_inconclusive_not_no_change():
    """Trials 100/60/140 against 90/50/130: not significant, and the interval is far too
    wide to exclude a regression: inconclusive, exit 3, never "no regression"."""
    verdicts, result = _verdicts([synthetic_result([100, 60, 140])],
                                 [synthetic_result([90, 50, 130])])
    assert verdicts["fps"] == "inconclusive" and result.exit_code == 3


def test_improvement_and_latency_direction():
    verdicts, result = _verdicts([synthetic_result([100, 101, 99])],
                                 [synthetic_result([120, 121, 119])])
    assert verdicts["fps"] == "improvement" and verdicts["p50"] == "improvement"
    assert result.exit_code == 0


def test_files_per_side_are_pooled_as_runs():
    base = [synthetic_result([f]) for f in (100, 101, 99, 100)]
    new = [synthetic_result([f]) for f in (80, 81, 79, 80)]
    verdicts, result = _verdicts(base, new)
    assert verdicts["fps"] == "regression"
    assert next(c for c in result.changes if c.name == "fps").samples == "runs"


def test_single_runs_use_windows_and_say_so():
    base = synthetic_result([100], window_fps=[50, 100, 101, 99, 100, 100, 30])
    new = synthetic_result([80], window_fps=[40, 80, 81, 79, 80, 80, 20])
    verdicts, result = _verdicts([base], [new])
    assert verdicts["fps"] == "regression"
    assert next(c for c in result.changes if c.name == "fps").samples == "windows"
    assert any("one run on a side" in w for w in result.warnings)


def test_unlike_results_warn_or_fail_when_strict():
    base, new = synthetic_result([100, 100]), synthetic_result([100, 100], threads=1, cpu="other")
    _, result = _verdicts([base], [new])
    assert any("threads" in w for w in result.warnings)
    assert any("different machine: cpu" in w for w in result.warnings)
    from perfbench.errors import UsageError
    with pytest.raises(UsageError, match="--strict"):
        _verdicts([base], [new], strict=True)


@pytest.mark.parametrize("spec,message", [("fsp=3%", "unknown metric"), ("abc", "percentage"),
                                          ("-3%", "out of range")])
def test_bad_thresholds(spec, message):
    from perfbench.errors import UsageError
    with pytest.raises(UsageError, match=message):
        parse_thresholds([spec])


def _write(tmp_path, name, result):
    path = tmp_path / name
    path.write_text(json.dumps(result.to_dict()))
    return str(path)


def test_cli_exit_codes_and_outputs(tmp_path, capsys):
    base = _write(tmp_path, "base.json", synthetic_result([100, 101, 99]))
    same = _write(tmp_path, "same.json", synthetic_result([100, 100.5, 99.5]))
    slow = _write(tmp_path, "slow.json", synthetic_result([80, 81, 79]))
    assert main(["compare", base, same]) == 0
    md, js = tmp_path / "summary.md", tmp_path / "cmp.json"
    assert main(["compare", base, slow, "--markdown", str(md), "--json", str(js)]) == 1
    assert "| fps (images/s) |" in md.read_text() and "❌ regression" in md.read_text()
    data = json.loads(js.read_text())
    assert data["schema"] == "perfbench.comparison" and data["regression"] is True
    assert main(["compare", "--base", base, same, "--new", slow]) == 1
    assert "REGRESSION" in capsys.readouterr().out


@pytest.mark.parametrize("content,message", [
    ("{not json", "corrupt JSON"),
    ('{"benchmarks": []}', "not a perfbench result"),
    ('[1, 2]', "not a perfbench result"),
    ('{"schema": "perfbench.result", "schema_version": 99}', "newer than this perfbench"),
    ('{"schema": "perfbench.result", "schema_version": 0}', "unsupported schema version"),
    ('{"schema": "perfbench.result", "schema_version": 1, "status": "complete"}',
     "invalid result: config must be an object"),
    *[(json.dumps(dict(synthetic_document([100.0]), results=dict(
        synthetic_document([100.0])["results"], fps=bad))), "results.fps must be a finite number")
      for bad in ("fast", None, True)],
    (json.dumps(dict(synthetic_document([100.0]), results=dict(
        synthetic_document([100.0])["results"], fps=150.0))), "file's own counts give 100"),
    (json.dumps(dict(synthetic_document([100.0]), status="done")), "status must be one of"),
])
def test_bad_result_files_get_clear_errors(tmp_path, capsys, content, message):
    good = _write(tmp_path, "good.json", synthetic_result([100, 100]))
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["compare", good, str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_compare_usage_errors(tmp_path, capsys):
    good = _write(tmp_path, "good.json", synthetic_result([100, 100]))
    assert main(["compare", good]) == 2
    assert main(["compare", good, str(tmp_path / "missing.json")]) == 2
    assert "no such result file" in capsys.readouterr().err


def test_real_results_compare_cleanly(tiny_ir, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    # 3.2 s: windows [0, 1], [1, 2] and [2, 3.2] (a tail under 0.5 s joins the window
    # before it), so one steady window a side, whatever the machine's speed
    assert main(["run", "-m", tiny_ir, "-t", "3.2", "-q", "--json", str(a)]) == 0
    assert main(["run", "-m", tiny_ir, "-t", "3.2", "-q", "--json", str(b), "--threads", "1",
                 "--streams", "1"]) == 0
    assert main(["compare", str(a), str(a)]) == 0
    out = tmp_path / "cmp.json"
    code = main(["compare", str(a), str(b), "--json", str(out)])
    data = json.loads(out.read_text())
    assert code == data["exit_status"] and code in (0, 1, 3)
    # Each side's value is the mean of its steady windows (the timeline without its first
    # and last window): the same samples its interval is computed from.
    def steady_mean(path):
        timeline = json.loads(path.read_text())["timeline"]
        return statistics.fmean(w["fps"] for w in timeline[1:-1])
    fps = next(m for m in data["metrics"] if m["name"] == "fps")
    assert fps["baseline"] == pytest.approx(steady_mean(a))
    assert fps["change_pct"]["value"] == pytest.approx(100 * (steady_mean(b) / steady_mean(a)
                                                              - 1))
    assert fps["change_pct"]["low"] is not None   # even from one steady window a side
    assert "different config: threads auto vs 1" in data["warnings"]
    assert {m["name"] for m in data["metrics"]} == {"fps", "p50", "p90", "p99", "gflops"}


def test_p99_is_reported_but_not_gating_by_default(tmp_path, capsys):
    """Only the tail got worse: shown as a regression, but the default gate passes."""
    base = [synthetic_result([f], p99=10.0) for f in (100.0, 100.5, 99.5)]
    new = [synthetic_result([f], p99=14.0) for f in (100.0, 100.5, 99.5)]
    verdicts, result = _verdicts(base, new)
    assert verdicts["p99"] == "regression" and result.exit_code == 0
    gated = compare(base, new, ["b"] * 3, ["n"] * 3, parse_thresholds([]), gate=("p99",))
    assert gated.exit_code == 1
    files = []
    for i, doc in enumerate(base + new):
        files.append(_write(tmp_path, f"r{i}.json", doc))
    argv = ["compare", "--base", *files[:3], "--new", *files[3:]]
    assert main(argv) == 0
    assert "regression (not gating)" in capsys.readouterr().out
    assert main(argv + ["--gate", "fps,p99"]) == 1
    assert main(argv + ["--gate", "p999"]) == 2


def test_different_model_is_named_precisely():
    _, result = _verdicts([synthetic_result([100, 100])], [synthetic_result([100, 100],
                                                                           model="other")])
    assert "different model: name 'm' vs 'other'" in result.warnings


def test_short_runs_are_called_or_inconclusive_never_silently_no_change():
    """A 59 % drop between two runs with one steady window each: the noise floor alone
    gives each side an interval, and a change this far beyond it is called.  With the floor
    switched off nothing says how noisy one window is: inconclusive, never 'no change'."""
    base = synthetic_result([100.0], window_fps=[90, 100, 60])
    new = synthetic_result([41.0], window_fps=[37, 41, 20])
    verdicts, result = _verdicts([base], [new])
    assert verdicts["fps"] == "regression" and result.exit_code == 1
    unfloored = compare([base], [new], ["a"], ["b"], parse_thresholds([]),
                        noise_floors=parse_noise_floors(["0%"]))
    fps = next(c for c in unfloored.changes if c.name == "fps")
    assert fps.verdict == "inconclusive" and fps.diff_ci_pct is None
    assert unfloored.exit_code == 3
    assert any(w.startswith("inconclusive (fps, p50, p90, p99, gflops)") for w in
               unfloored.warnings)


def test_a_zero_baseline_gives_no_infinite_change(tmp_path):
    from perfbench.files import json_text
    runs = [synthetic_result([f]) for f in (100.0, 101.0)]
    base = [dataclasses.replace(r, latency=dataclasses.replace(r.latency, median=0.0))
            for r in runs]
    result = compare(base, runs, ["a", "b"], ["c", "d"], parse_thresholds([]))
    p50 = next(c for c in result.changes if c.name == "p50")
    assert p50.change_pct is None and p50.verdict == "inconclusive"
    assert "Infinity" not in json_text(result.to_dict())


def test_gflops_follows_an_fps_threshold():
    """Effective GFLOP/s is FPS times the model's constant cost: a threshold set for fps
    is the threshold of gflops too, unless gflops is given its own."""
    assert parse_thresholds(["fps=30%"])["gflops"] == 30
    assert parse_thresholds(["fps=30%", "gflops=7%"])["gflops"] == 7
    assert parse_noise_floors(["fps=9%"])["gflops"] == 9
    base = [synthetic_result([f]) for f in (100.0, 100.2, 99.8, 100.1)]
    new = [synthetic_result([f]) for f in (80.0, 80.2, 79.8, 80.1)]
    verdicts, _ = _verdicts(base, new, ["fps=30%"])
    assert verdicts["fps"] == verdicts["gflops"] == "no significant change"
    assert verdicts["p50"] == "regression"          # latency kept its own 5 %


@pytest.mark.parametrize("specs", [["fps=30%", "10%"], ["10%", "fps=30%"]])
def test_a_specific_threshold_wins_over_the_general_one_in_any_order(specs):
    thresholds = parse_thresholds(specs)
    assert thresholds["fps"] == thresholds["gflops"] == 30
    assert thresholds["p50"] == thresholds["p90"] == thresholds["p99"] == 10


def test_change_interval_is_a_ratio_interval_on_the_log_scale():
    """Known numbers.  Three runs a side, FPS 100/110/90 against 50/55/45: each side's
    relative variance of the mean is (100/3)/100² = (25/3)/50² = 1/300, so the log ratio
    ln(0.5) has standard error √(2/300) with Welch's 4 degrees of freedom (t = 2.7764):
    exp(ln 0.5 ± 2.7764·√(2/300)) − 1 = [−60.14 %, −37.28 %] (the difference of means gave
    [−77.8 %, −22.2 %], at 2 degrees of freedom)."""
    base = [synthetic_result([f]) for f in (100.0, 110.0, 90.0)]
    new = [synthetic_result([f]) for f in (50.0, 55.0, 45.0)]
    _, result = _verdicts(base, new)
    fps = next(c for c in result.changes if c.name == "fps")
    assert fps.change_pct == pytest.approx(-50.0)
    assert fps.diff_ci_pct == pytest.approx((-60.142, -37.278), abs=0.01)   # t to 4 decimals


def test_a_latency_interval_never_falls_below_minus_100_percent():
    """Median latency 10/20/40 ms against 5/5/5 ms: relative variance of the base mean
    (233.3/3)/(70/3)² = 1/7, 2 degrees of freedom (t = 4.3027), ratio 5/(70/3):
    [−95.79 %, +8.96 %].  The difference of means read [−241 %, +84 %]: a latency that
    falls by more than all of it."""
    base = [synthetic_result([f]) for f in (100.0, 50.0, 25.0)]
    new = [synthetic_result([f]) for f in (200.0, 200.0, 200.0)]
    _, result = _verdicts(base, new)
    p50 = next(c for c in result.changes if c.name == "p50")
    assert p50.diff_ci_pct == pytest.approx((-95.786, 8.959), abs=0.01)   # t to 4 decimals
    # three runs a side, no floor: +8.96 % reaches past the 5 % threshold
    assert p50.verdict == "inconclusive"


def _disturbed_document(window_fps, other_cpu):
    """A run whose machine other processes took (``other_cpu`` % of the CPU), with the
    window spread that leaves: its other-processes and window-CV checks failed."""
    doc = synthetic_document([sum(window_fps) / len(window_fps)], window_fps=window_fps)
    doc["checks"] = [
        {"name": "other_processes_cpu", "ok": False, "value": other_cpu, "threshold": 10.0,
         "message": f"other processes used {other_cpu:.0f} % of the CPU"},
        {"name": "window_cv", "ok": False, "value": 48.0, "threshold": 5.0, "message": "cv"},
        {"name": "swapping", "ok": True, "value": 0, "threshold": 0, "message": ""}]
    return doc


def test_a_big_drop_on_two_disturbed_machines_is_inconclusive_exit_3(tmp_path, capsys):
    """Issue 24: FPS fell ~39 % between two runs whose machines other processes loaded;
    the interval is too wide to exclude a regression, so the gate neither passes (0) nor
    fails (1): "inconclusive", exit 3, naming both sides' failed noise checks."""
    base = _disturbed_document([100, 380, 600, 150, 520, 380, 90], 61.0)
    new = _disturbed_document([80, 150, 420, 90, 330, 170, 60], 43.0)
    paths = []
    for name, doc in (("base.json", base), ("new.json", new)):
        (tmp_path / name).write_text(json.dumps(doc))
        paths.append(str(tmp_path / name))
    out = tmp_path / "cmp.json"
    assert main(["compare", *paths, "--json", str(out)]) == 3
    text = " ".join(capsys.readouterr().out.split())
    data = json.loads(out.read_text())
    fps = next(m for m in data["metrics"] if m["name"] == "fps")
    # each side is the mean of its steady windows (first and last left out): 232 / 406
    assert fps["change_pct"]["value"] == pytest.approx(100 * (232 / 406 - 1))     # −42.9 %
    assert fps["change_pct"]["low"] < -60 and fps["change_pct"]["high"] > 0
    assert fps["verdict"] == "inconclusive" and data["outcome"] == "inconclusive"
    assert data["exit_status"] == 3 and data["regression"] is False
    assert data["disturbed"] == ["baseline: other_processes_cpu 61.0 (limit 10.0)",
                                 "baseline: window_cv 48.0 (limit 5.0)",
                                 "new: other_processes_cpu 43.0 (limit 10.0)",
                                 "new: window_cv 48.0 (limit 5.0)"]
    assert "INCONCLUSIVE: fps -42.86 %" in text and "(exit 3)" in text
    assert "no regression" not in text
    assert "disturbed machine: baseline: other_processes_cpu 61.0 (limit 10.0)" in text


def test_several_runs_a_side_get_no_single_run_slack():
    """Three runs a side measure their own run-to-run noise: no floor applies, so the
    single-run resolution (±11 %) is no excuse.  −2 % with an interval reaching −11.8 %
    cannot exclude a 5 % regression: inconclusive, not a pass (it passed, exit 0)."""
    base = [synthetic_result([f]) for f in (100, 104, 96)]
    new = [synthetic_result([f]) for f in (98, 102, 94)]
    verdicts, result = _verdicts(base, new)
    fps = next(c for c in result.changes if c.name == "fps")
    assert fps.samples == "runs" and fps.diff_ci_pct[0] < -5
    assert verdicts["fps"] == "inconclusive" and result.exit_code == 3
    tight = [synthetic_result([f]) for f in (98, 98.5, 97.5)]
    verdicts, result = _verdicts([synthetic_result([f]) for f in (100, 100.5, 99.5)], tight)
    assert verdicts["fps"] == "no significant change" and result.exit_code == 0


def test_an_inconclusive_metric_outside_the_gate_does_not_claim_exit_3():
    """p99 (not gating) +41 % [−19 %, +146 %] between single runs, every gating metric a
    pass: exit 0, and the warning says p99 does not change it (it said 'exits 3')."""
    base = synthetic_result([100, 101, 99, 100, 100], p99=10)
    new = synthetic_result([99, 100, 98, 99, 99], p99=14)
    verdicts, result = _verdicts([base], [new])
    assert verdicts["p99"] == "inconclusive" and result.exit_code == 0
    note = next(w for w in result.warnings if w.startswith("inconclusive (p99)"))
    assert "exits 3" not in note and "does not change" in note
    verdicts, result = _verdicts([base], [synthetic_result([90, 91, 89, 90, 90], p99=14)])
    assert result.exit_code == 3
    assert any(w.startswith("inconclusive (") and "exits 3" in w for w in result.warnings)


def _geomean_verdict(g, threshold_pct=5.0):
    """As ``suite --baseline`` judges its geomean: compare's floor on single runs a side."""
    from perfbench.tracking.verdict import geomean_verdict
    return geomean_verdict(g.to_dict(), threshold_pct, 4.0, 2)


@pytest.mark.parametrize("n", [3, 8])
def test_a_uniform_15_pct_geomean_drop_is_a_regression(n):
    """compare's 4 % floor a side: v = 2·0.04² = 0.0032 (sd 5.66 %), known, so z, not
    t(N−1): half 1.96·0.0566 = 0.111 < |ln 0.85| = 0.1625."""
    from perfbench.stats.geomean import separate_runs
    g = separate_runs([math.log(0.85)] * n, [0.0032] * n)
    assert g.ci_high < 1 and _geomean_verdict(g) == "regression"


def test_an_a_a_like_geomean_spread_is_no_change():
    """ln ratios ±4 % around 0: the interval [0.892, 1.121] reaches below 0.95, but
    within the resolution single runs allow (ln 0.95 − 1.96·√2·4 % = −0.162)."""
    from perfbench.stats.geomean import separate_runs
    g = separate_runs([0.03, -0.04, 0.01, -0.02, 0.02], [0.0032] * 5)
    assert g.ci_low < 1 < g.ci_high and _geomean_verdict(g) == "no significant change"


def test_a_geomean_whose_interval_straddles_the_threshold_is_inconclusive_not_a_pass():
    """Every entry 10 % slower, one run a side: [0.805, 1.005] neither calls a regression
    (it reaches 1) nor excludes one (ln 0.805 = −0.217 < −0.162): the rule each entry is
    judged by (judge_change) says inconclusive; the geomean said "no significant change",
    a pass, before.  Interleaved A/B entries (no floor) get the plain rule."""
    from perfbench.stats.geomean import separate_runs
    from perfbench.tracking.verdict import geomean_verdict, judge_change
    g = separate_runs([math.log(0.90)] * 3, [0.0032] * 3)
    assert g.ci_low == pytest.approx(0.9 * math.exp(-1.959964 * math.sqrt(0.0032)), rel=1e-6)
    assert g.ci_low < 0.95 and g.ci_high > 1
    assert _geomean_verdict(g) == "inconclusive"
    assert _geomean_verdict(g) == judge_change(-10.0, (g.ci_low, g.ci_high), True, 5.0, 4.0,
                                               floored_sides=2)
    assert geomean_verdict({"ratio": 0.995, "ci_low": 0.985, "ci_high": 1.005}, 2.0) == \
        "no significant change"
    assert geomean_verdict({"ratio": 0.99, "ci_low": 0.93, "ci_high": 1.05}, 2.0) == \
        "inconclusive"


def _suite_doc(block: str, geomean_verdict: str):
    from perfbench.results.interval import Interval
    from perfbench.results.suite import (ABBlock, ABSummary, BaselineBlock, BaselineRow,
                                         Geomean, Summary, SuiteDocument)
    geomean = Geomean(Interval(1.0, 0.9, 1.1, 0.95), "fixed: these models",
                      verdict=geomean_verdict)
    verdict = "no significant change"
    blocks = {"baseline": BaselineBlock("s", (BaselineRow("a", verdict),), geomean)} \
        if block == "baseline" else {"ab": ABBlock((ABSummary("a", verdict),), geomean)}
    return SuiteDocument("s", "complete", (), Summary(1, 1, 0), **blocks)


@pytest.mark.parametrize("block", ["baseline", "ab"])
def test_an_inconclusive_geomean_exits_3_as_the_ci_table_says(block):
    """docs/ci.md: exit 3 is "not decided", never a pass (0)."""
    from perfbench.cli.commands.suite import exit_status, gate
    doc = _suite_doc(block, "inconclusive")
    assert exit_status(doc, None) == 3
    assert gate(doc, None).outcome.endswith("geomean (inconclusive)")
    assert exit_status(_suite_doc(block, "no significant change"), None) == 0


def test_suite_ab_judges_its_geomean_by_the_same_rule():
    """Two A/B entries at 0.99 [0.90, 1.09]: the fixed geomean's interval, about
    [0.93, 1.06], straddles the 2 % threshold: inconclusive, not "no significant change"."""
    from perfbench.results.interval import Interval
    from perfbench.results.suite import ABSummary
    from perfbench.suite.ab import geomean_block
    rows = [ABSummary(n, "no significant change", Interval(0.99, 0.90, 1.09, 0.95),
                      judged_metric="fps") for n in ("a", "b")]
    block = geomean_block(rows, 2.0)
    assert block.judged.low < 0.98 < 1 < block.judged.high
    assert block.verdict == "inconclusive"
