"""Against a baseline: per-entry verdicts as compare gives them, the geomean of ratios with
run-level noise once, new and fixed failures, missing entries; on constructed results."""

import dataclasses
import json
import math
import os

import pytest

from perfbench.results.suite import BaselineBlock, Summary, SuiteDocument
from perfbench.suite import baseline
from tests.models import synthetic_document, synthetic_result


def test_entry_verdict_uses_compares_statistics():
    row, log_ratio, variance = baseline.entry_verdict(
        "a", synthetic_result([100, 100]), synthetic_result([90, 90]))
    # one run a side: each side's variance is compare's 4 % floor, 0.04² on the log scale
    assert variance == pytest.approx(2 * 0.04 ** 2)
    assert log_ratio == pytest.approx(math.log(0.9)) and row.ratio.value == pytest.approx(0.9)
    half = 1.959964 * math.sqrt(0.0032)
    assert row.ratio.low == pytest.approx(0.9 * math.exp(-half), rel=1e-4)
    # the interval holds 1, but reaches a 20 % regression (beyond 5 % + compare's ±11 %
    # resolution): it cannot exclude one, so the entry is inconclusive (exit 3)
    assert row.verdict == "inconclusive"
    row, _, _ = baseline.entry_verdict("b", synthetic_result([100, 100]),
                                       synthetic_result([50, 50]))
    assert row.verdict == "regression" and "fps" in row.regressed


def test_geomean_over_four_entries_counts_run_noise_once():
    pairs = {f"e{i}": (synthetic_result([100, 100]), synthetic_result([90, 90]))
             for i in range(4)}
    rows, g = baseline.judge(pairs)
    # s = 0; var = mean v = 0.0032, compare's known floor: no dof to pay, z = 1.959964
    # → half 0.110873 (t(3) would have given 0.180025); 0.9·e^0.110873 = 1.0055 holds 1
    assert g.ratio.value == pytest.approx(0.9)
    assert g.ratio.low == pytest.approx(0.9 * math.exp(-0.110873), rel=1e-4)
    assert g.ratio.high == pytest.approx(0.9 * math.exp(0.110873), rel=1e-4)
    # ... and reaches 0.805, a regression beyond 5 % + the ±11 % single runs resolve: by
    # the entries' own rule (each of them is inconclusive) not a pass, exit 3
    assert g.verdict == "inconclusive" and all(r.verdict == "inconclusive" for r in rows)
    assert "geomean" in baseline.unconfirmed(BaselineBlock("s", tuple(rows), g))


def _suite_dir(path, entries):
    os.makedirs(path, exist_ok=True)
    records = []
    for name, status, fps in entries:
        file = None
        if fps is not None:
            file = f"{name}.json"
            with open(os.path.join(path, file), "w") as handle:
                json.dump(synthetic_document(fps, model=name), handle)
        records.append({"name": name, "status": status, "file": file})
    return SuiteDocument.from_dict({"suite": "s", "status": "complete", "entries": records})


def _results(path, doc):
    """The baseline's results as :func:`baseline.read_baseline` reads them, once."""
    from perfbench.results import load
    return {r.name: load(os.path.join(path, r.file)) for r in doc.entries
            if r.status == "ok" and r.file}


def test_failures_fixed_and_missing(tmp_path):
    base = _suite_dir(tmp_path / "base", [("a", "ok", [100, 100]), ("b", "ok", [10, 10]),
                                          ("c", "failed", None), ("gone", "ok", [5, 5])])
    new = _suite_dir(tmp_path / "new", [("a", "ok", [40, 40]), ("b", "timeout", None),
                                        ("c", "ok", [7, 7])])
    block = baseline.against_suite(new, str(tmp_path / "new"), base,
                                   _results(tmp_path / "base", base), "base")
    assert [r.name for r in block.entries] == ["a"]
    assert block.entries[0].verdict == "regression"
    assert block.new_failures == ("b",) and block.fixed_failures == ("c",)
    assert block.missing == ("gone",)
    assert baseline.regressed(block)


def test_history_baseline_is_the_last_run_of_the_configuration(tmp_path):
    from perfbench.tracking.history import append
    db = str(tmp_path / "h.db")
    append(db, synthetic_result([50, 50], model="a"))
    append(db, synthetic_result([100, 100], model="a"))
    new = _suite_dir(tmp_path / "new", [("a", "ok", [100, 100]), ("b", "ok", [3, 3])])
    block = baseline.against_history(new, str(tmp_path / "new"), db)
    assert block.entries[0].ratio.value == pytest.approx(1.0)
    assert block.no_history == ("b",) and not baseline.regressed(block)


def test_with_history_every_failed_entry_is_a_new_failure(tmp_path):
    """History keeps no failures, so nothing tells an old failure from a new one."""
    from perfbench.tracking.history import append
    db = str(tmp_path / "h.db")
    append(db, synthetic_result([100, 100], model="a"))
    new = _suite_dir(tmp_path / "new", [("a", "ok", [100, 100]), ("b", "timeout", None),
                                        ("c", "failed", None)])
    block = baseline.against_history(new, str(tmp_path / "new"), db)
    assert block.new_failures == ("b", "c") and baseline.regressed(block)


def test_entries_are_judged_together_so_the_gate_holds_its_level():
    """Nine entries judged at 95 % each would fail an A/A suite's gate about one time in
    five; judged together each gets 1 − 0.05/9.  A 13 % drop on one run a side (log SE
    √2·4 % = 0.0566 at compare's floor) is a regression alone (half-width 1.96·0.0566 =
    0.111 < 0.139) but not among nine (z(0.99444) = 2.7729 from the normal table: 0.157)."""
    alone, _, _ = baseline.entry_verdict("a", synthetic_result([100, 100]),
                                         synthetic_result([87, 87]))
    assert alone.verdict == "regression" and alone.judged.level == pytest.approx(0.95)
    pairs = {"a": (synthetic_result([100, 100]), synthetic_result([87, 87]))}
    pairs.update({f"e{i}": (synthetic_result([100, 100]), synthetic_result([100, 100]))
                  for i in range(8)})
    rows, _ = baseline.judge(pairs)
    row = rows[0]
    assert row.verdict == "inconclusive" and row.family_size == 9
    assert row.judged.level == pytest.approx(1 - 0.05 / 9)
    se = math.sqrt(2) * 0.04
    assert row.judged.low == pytest.approx(0.87 * math.exp(-2.7729 * se), rel=1e-3)
    assert row.judged.high == pytest.approx(0.87 * math.exp(2.7729 * se), rel=1e-3)
    # compare's own 95 % interval is kept beside it, as `perfbench compare` prints it
    assert row.ratio.low == pytest.approx(0.87 * math.exp(-1.959964 * se), rel=1e-4)
    judged = BaselineBlock("s", tuple(rows), None)
    assert not baseline.regressed(judged) and baseline.unconfirmed(judged) == ["a"]
    big = {"a": (synthetic_result([100, 100]), synthetic_result([50, 50])), **{
        k: v for k, v in pairs.items() if k != "a"}}
    rows, _ = baseline.judge(big)
    assert rows[0].verdict == "regression"      # a real change still fails the gate


def _busy(fps, share=28.9, doc=None):
    """A result whose machine had other processes at ``share`` % of the CPU."""
    from perfbench.results import from_document
    doc = doc or synthetic_document(fps)
    doc["checks"] = [
        {"name": "other_processes_cpu", "ok": False, "value": share, "threshold": 10.0,
         "message": f"other processes used {share:.0f} %"},
        {"name": "cpu_steal", "ok": True, "value": 0.0, "threshold": 5.0, "message": ""},
        {"name": "window_cv", "ok": False, "value": 9.0, "threshold": 5.0, "message": "cv"}]
    return from_document(doc, "busy")


def test_an_entry_measured_on_a_disturbed_machine_says_so():
    """The machine's own noise checks (other processes, steal, swapping, clock spread) that
    failed on either side are carried to the entry's row: its verdict may be the
    machine's.  Checks about the run itself (window CV, driver) are not the machine's."""
    row, _, _ = baseline.entry_verdict("a", synthetic_result([100, 100]), _busy([100, 100]))
    assert row.disturbed == ("new: other_processes_cpu 28.9 (limit 10.0)",)
    assert row.verdict == "no significant change"
    row, _, _ = baseline.entry_verdict("a", _busy([100, 100]), synthetic_result([100, 100]))
    assert row.disturbed == ("baseline: other_processes_cpu 28.9 (limit 10.0)",)


def test_a_regression_on_a_disturbed_machine_is_unconfirmed_and_exits_3():
    """Under load unchanged entries read 0.47–0.77 of their baseline; a regression seen
    then is not the change's until a quiet re-run confirms it (exit 3, not 1)."""
    from perfbench.cli.commands.suite import exit_status
    quiet = {f"e{i}": (synthetic_result([100, 100]), synthetic_result([100, 100]))
             for i in range(3)}
    rows, g = baseline.judge({**quiet, "a": (synthetic_result([100, 100]), _busy([50, 50]))})
    row = rows[-1]
    assert row.verdict == "unconfirmed regression" and row.regressed == ("fps", "p50",
                                                                         "p90", "gflops")
    block = BaselineBlock("s", tuple(rows), g)
    # the geomean (0.84, three entries at 1 and one at 0.5: a wide interval reaching far
    # below 0.95) cannot exclude a regression either: inconclusive, one more name for exit 3
    assert g.verdict == "inconclusive"
    assert not baseline.regressed(block) and baseline.unconfirmed(block) == ["a", "geomean"]
    doc = SuiteDocument("s", "complete", (), Summary(0, 0, 0), baseline=block)
    assert exit_status(doc, None) == 3
    rows, g = baseline.judge({**quiet, "a": (synthetic_result([100, 100]),
                                             synthetic_result([50, 50]))})
    assert rows[-1].verdict == "regression"
    assert exit_status(dataclasses.replace(doc, baseline=dataclasses.replace(
        block, entries=tuple(rows), geomean=g)), None) == 1


def test_a_geomean_regression_stands_only_if_the_quiet_entries_show_it():
    """Every entry 40 % slower: the geomean regresses whether or not one entry was measured
    on a busy machine (the quiet ones show it by themselves); when every entry was
    disturbed nothing can confirm it."""
    pairs = {f"e{i}": (synthetic_result([100, 100]), synthetic_result([60, 60]))
             for i in range(4)}
    _, g = baseline.judge({**pairs, "e0": (synthetic_result([100, 100]), _busy([60, 60]))})
    assert g.verdict == "regression"
    busy = {n: (synthetic_result([100, 100]), _busy([60, 60])) for n in pairs}
    rows, g = baseline.judge(busy)
    assert g.verdict == "unconfirmed regression"
    block = BaselineBlock("s", tuple(rows), g)
    assert baseline.unconfirmed(block) == ["e0", "e1", "e2", "e3", "geomean"]


def test_a_disturbed_baseline_cannot_make_a_regression_unconfirmed():
    """A baseline measured under load reads slow, pushing NEW/BASE up: it can hide a
    regression, never make one, so a regression against it stands (exit 1); it is still
    listed as disturbed.  Re-running NEW could never confirm it otherwise."""
    rows, _ = baseline.judge({"a": (_busy([100, 100]), synthetic_result([50, 50]))})
    assert rows[0].verdict == "regression" and not rows[0].new_disturbed
    assert rows[0].disturbed == ("baseline: other_processes_cpu 28.9 (limit 10.0)",)


def test_swapping_and_clock_spread_are_not_someone_elses_load():
    """A change that grows memory until the machine swaps slows down *and* trips the
    swapping check: that regression must not be excused as a disturbance."""
    doc = synthetic_document([50, 50])
    doc["checks"] = [{"name": "swapping", "ok": False, "value": 120, "threshold": 0,
                      "message": "swapped"},
                     {"name": "cpu_frequency_spread", "ok": False, "value": 30.0,
                      "threshold": 10.0, "message": "turbo"}]
    from perfbench.results import from_document
    row, _, _ = baseline.entry_verdict("a", synthetic_result([100, 100]),
                                       from_document(doc, "swap"))
    assert row.verdict == "regression" and row.disturbed == ()


def test_a_geomean_regression_carried_by_the_disturbed_entry_alone_is_unconfirmed():
    """Eight quiet entries at 0.905 and one busy entry at 0.74: all nine give a geomean of
    0.885, beyond its interval (half-width ≈ 1.965·√(0.000493 + 0.0032) = 0.119 on the log
    scale, −0.122 + 0.119 < 0); the quiet eight alone (−0.100, half 1.96·0.0566 = 0.111)
    do not.  So the geomean regression rests on the disturbed entry: unconfirmed."""
    quiet = {f"e{i}": (synthetic_result([100, 100]), synthetic_result([90.5, 90.5]))
             for i in range(1, 9)}
    rows, g = baseline.judge({"e0": (synthetic_result([100, 100]), _busy([74, 74])),
                              **quiet})
    assert rows[0].verdict == "unconfirmed regression"
    assert {r.verdict for r in rows[1:]} == {"inconclusive"}   # −9.5 % ± 11 %
    assert g.ratio.value == pytest.approx(math.exp((8 * math.log(0.905) + math.log(0.74)) / 9))
    assert g.ratio.high < 1
    assert g.verdict == "unconfirmed regression"
    rows, g = baseline.judge({"e0": (synthetic_result([100, 100]),
                                     synthetic_result([74, 74])), **quiet})
    assert g.verdict == "regression"              # the same figures, all quiet


def test_a_latency_regression_is_shown_with_its_own_interval():
    """p90 1.6 times longer at the same FPS: the verdict is a regression, and the row
    carries the p90 change and its judged interval, not only FPS intervals that hold 1."""
    from perfbench.results import from_document
    doc = synthetic_document([100, 100])
    for trial in doc["trials"]:
        trial["latency_p90_ms"] *= 1.6
    doc["results"]["latency_ms"]["p90"] *= 1.6
    row, _, _ = baseline.entry_verdict("a", synthetic_result([100, 100]),
                                       from_document(doc, "p90"))
    assert row.verdict == "regression" and row.ratio.value == pytest.approx(1.0)
    assert row.judged.low < 1 < row.judged.high
    (p90,) = row.regressions
    assert p90.name == "p90" and p90.change_pct.value == pytest.approx(60.0)
    half = 1.959964 * math.sqrt(2) * 0.05            # compare's p90 floor, 5 % a side
    assert p90.change_pct.low == pytest.approx(100 * (1.6 * math.exp(-half) - 1), rel=1e-3)


def test_a_server_entry_stays_out_of_the_geomean():
    """A server run's FPS is its schedule's rate: its ratio says nothing of speed."""
    from perfbench.results import from_document
    doc = synthetic_document([100, 100])
    doc["load"] = {"scenario": "server", "rate": 100.0}
    server = from_document(doc, "server")
    pairs = {"a": (synthetic_result([100, 100]), synthetic_result([80, 80])),
             "s": (synthetic_result([100, 100]), server)}
    rows, g = baseline.judge(pairs)
    assert [r.in_geomean for r in rows] == [True, False]
    assert g.ratio.value == pytest.approx(0.8) and g.excluded == ("s",)


def test_the_same_name_with_another_model_is_not_judged_and_says_why(tmp_path):
    """`conv.xml` → `big.xml` under the name `net` gave 'ratio 0.113 … regression' with no
    warning (issue 30, item 3); compare says "different model" of the same two files."""
    base = {"net": synthetic_result([100, 100], model="conv"),
            "old": synthetic_result([50, 50], model="renamed")}
    new = {"net": synthetic_result([11, 11], model="big"),
           "new-name": synthetic_result([50, 50], model="renamed")}
    pairs, renamed, unlike = baseline.pair_by_identity(new, base)
    assert list(pairs) == ["new-name"] and renamed == {"new-name": "old"}
    assert unlike["net"] and unlike["net"][0].startswith("different model")


def test_entries_only_in_the_new_suite_are_listed(tmp_path):
    """They were not judged and nothing said so (issue 30, item 15)."""
    base = _suite_dir(tmp_path / "base", [("a", "ok", [100, 100])])
    new = _suite_dir(tmp_path / "new", [("a", "ok", [100, 100]), ("fresh", "ok", [9, 9])])
    block = baseline.against_suite(new, str(tmp_path / "new"), base,
                                   _results(tmp_path / "base", base), "base")
    assert [r.name for r in block.entries] == ["a"]
    assert block.no_baseline == ("fresh",) and block.not_comparable == ()


def test_a_result_appended_already_is_judged_against_the_run_before_it(tmp_path):
    """`--resume --history`: the kept entry was judged against its own row (ratio 1.000,
    'no significant change' after a regression) (issue 30, item 1)."""
    from perfbench.tracking.history import append
    db = str(tmp_path / "h.db")
    append(db, synthetic_result([100, 100], model="a"))
    new = _suite_dir(tmp_path / "new", [("a", "ok", [50, 50])])
    from perfbench.results import load
    own = append(db, load(str(tmp_path / "new" / "a.json")))
    mine = {"database": os.path.realpath(db), "run_id": own}
    new = dataclasses.replace(new, entries=(dataclasses.replace(new.entries[0],
                                                                history=mine),))
    block = baseline.against_history(new, str(tmp_path / "new"), db)
    assert block.entries[0].ratio.value == pytest.approx(0.5)
    assert block.entries[0].verdict == "regression"
    other = dataclasses.replace(new.entries[0], history={"database": "/elsewhere.db",
                                                         "run_id": own})
    block = baseline.against_history(dataclasses.replace(new, entries=(other,)),
                                     str(tmp_path / "new"), db)
    assert block.entries[0].ratio.value == pytest.approx(1.0)   # another database's row


def test_the_summary_names_what_was_not_judged_and_the_gate():
    from perfbench.reporters.suite_report import comparison_lines
    doc = SuiteDocument.from_dict({
        "suite": "s", "entries": [], "status": "complete",
        "summary": {"ok": 1, "entries": 1, "failed": 0},
        "baseline": {"entries": [], "geomean": None, "no_baseline": ["fresh"],
                     "not_comparable": [{"name": "net", "differences": [
                         "different model: name 'conv' vs 'big'"]}]},
        "gate": {"exit_status": 0, "outcome": "passed"}})
    lines = comparison_lines(doc)
    assert "no baseline: fresh" in lines and lines[-1] == "gate: passed (exit 0)"
    assert "net: not judged, the baseline measured something else (different model: name "\
           "'conv' vs 'big')" in lines
