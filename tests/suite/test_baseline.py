"""Against a baseline: per-entry verdicts as compare gives them, the geomean of ratios with
run-level noise once, new and fixed failures, missing entries; on constructed results."""

import json
import math
import os

import pytest

from perfbench.suite import baseline
from tests.models import synthetic_document, synthetic_result


def test_entry_verdict_uses_compares_statistics():
    row, log_ratio, variance = baseline.entry_verdict(
        "a", synthetic_result([100, 100]), synthetic_result([90, 90]))
    # one run a side: each side's variance is compare's 4 % floor, 0.04² on the log scale
    assert variance == pytest.approx(2 * 0.04 ** 2)
    assert log_ratio == pytest.approx(math.log(0.9)) and row["ratio"] == pytest.approx(0.9)
    half = 1.959964 * math.sqrt(0.0032)
    assert row["ci_low"] == pytest.approx(0.9 * math.exp(-half), rel=1e-4)
    assert row["verdict"] == "no significant change"     # the interval holds 1
    row, _, _ = baseline.entry_verdict("b", synthetic_result([100, 100]),
                                       synthetic_result([50, 50]))
    assert row["verdict"] == "regression" and "fps" in row["regressed"]


def test_geomean_over_four_entries_counts_run_noise_once():
    pairs = {f"e{i}": (synthetic_result([100, 100]), synthetic_result([90, 90]))
             for i in range(4)}
    rows, g = baseline.judge(pairs)
    # s = 0; var = mean v = 0.0032, compare's known floor: no dof to pay, z = 1.959964
    # → half 0.110873 (t(3) would have given 0.180025); 0.9·e^0.110873 = 1.0055 holds 1
    assert g["ratio"] == pytest.approx(0.9)
    assert g["ci_low"] == pytest.approx(0.9 * math.exp(-0.110873), rel=1e-4)
    assert g["ci_high"] == pytest.approx(0.9 * math.exp(0.110873), rel=1e-4)
    assert g["verdict"] == "no significant change"


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
    return {"schema": "perfbench.suite", "schema_version": 1, "entries": records}


def test_failures_fixed_and_missing(tmp_path):
    base = _suite_dir(tmp_path / "base", [("a", "ok", [100, 100]), ("b", "ok", [10, 10]),
                                          ("c", "failed", None), ("gone", "ok", [5, 5])])
    new = _suite_dir(tmp_path / "new", [("a", "ok", [40, 40]), ("b", "timeout", None),
                                        ("c", "ok", [7, 7])])
    block = baseline.against_suite(new, str(tmp_path / "new"), base, str(tmp_path / "base"),
                                   "base")
    assert [r["name"] for r in block["entries"]] == ["a"]
    assert block["entries"][0]["verdict"] == "regression"
    assert block["new_failures"] == ["b"] and block["fixed_failures"] == ["c"]
    assert block["missing"] == ["gone"]
    assert baseline.regressed(block)


def test_history_baseline_is_the_last_run_of_the_configuration(tmp_path):
    from perfbench.tracking.history import append
    db = str(tmp_path / "h.db")
    append(db, synthetic_result([50, 50], model="a"))
    append(db, synthetic_result([100, 100], model="a"))
    new = _suite_dir(tmp_path / "new", [("a", "ok", [100, 100]), ("b", "ok", [3, 3])])
    block = baseline.against_history(new, str(tmp_path / "new"), db)
    assert block["entries"][0]["ratio"] == pytest.approx(1.0)
    assert block["no_history"] == ["b"] and not baseline.regressed(block)


def test_with_history_every_failed_entry_is_a_new_failure(tmp_path):
    """History keeps no failures, so nothing tells an old failure from a new one."""
    from perfbench.tracking.history import append
    db = str(tmp_path / "h.db")
    append(db, synthetic_result([100, 100], model="a"))
    new = _suite_dir(tmp_path / "new", [("a", "ok", [100, 100]), ("b", "timeout", None),
                                        ("c", "failed", None)])
    block = baseline.against_history(new, str(tmp_path / "new"), db)
    assert block["new_failures"] == ["b", "c"] and baseline.regressed(block)
