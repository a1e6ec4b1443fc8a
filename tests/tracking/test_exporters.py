"""Export files validate against their documented formats (see ../shared/README.md §4)."""

import csv
import json

import pytest

from perfbench.tracking.exporters import EXPORTERS, csv_export
from perfbench.results.metrics import benchmark_name, headline
from perfbench.results import from_document
from tests.models import synthetic_document, synthetic_result


@pytest.fixture
def result():
    document = synthetic_document([100, 102, 98])
    # three trials: their interval (fps_trials) is the run's FPS interval
    document["precision"] = {"fps_windows": {"value": 100.0, "ci95_low": 99.0,
                                             "ci95_high": 101.0, "n": 8, "cv_pct": 1.0},
                             "fps_trials": {"value": 100.0, "ci95_low": 97.0,
                                            "ci95_high": 103.0, "n": 3, "cv_pct": 2.0},
                             "latency_ci95_ms": {"median": [9.0, 11.0], "p99": [9.5, 12.0]}}
    return from_document(document, "test")


def test_github_action_benchmark_files(result, tmp_path):
    written = EXPORTERS["gab"](benchmark_name(result), headline(result), str(tmp_path / "pb"))
    bigger = json.loads((tmp_path / "pb-bigger.json").read_text())
    smaller = json.loads((tmp_path / "pb-smaller.json").read_text())
    assert sorted(written) == sorted([str(tmp_path / "pb-bigger.json"),
                                      str(tmp_path / "pb-smaller.json")])
    assert {e["name"].rsplit(" - ", 1)[1] for e in bigger} == {"fps", "gflops"}
    assert {e["name"].rsplit(" - ", 1)[1] for e in smaller} == {"p50", "p90", "p99"}
    for entry in bigger + smaller:
        assert set(entry) <= {"name", "unit", "value", "range", "extra"}
        assert isinstance(entry["name"], str) and isinstance(entry["unit"], str)
        assert isinstance(entry["value"], (int, float)) and not isinstance(entry["value"], bool)
        if "range" in entry:
            assert isinstance(entry["range"], str)
    fps = next(e for e in bigger if e["name"].endswith("- fps"))
    assert fps["value"] == pytest.approx(100) and fps["range"] == "± 3"


def test_names_are_stable_across_runs(result):
    again = synthetic_result([80, 81, 79])
    assert benchmark_name(result) == benchmark_name(again) == "m CPU throughput b1"
    assert benchmark_name(synthetic_result([1, 1], threads=2)).endswith(" t2")


def test_bencher_metric_format(result, tmp_path):
    EXPORTERS["bmf"](benchmark_name(result), headline(result), str(tmp_path / "bmf.json"))
    data = json.loads((tmp_path / "bmf.json").read_text())
    assert list(data) == ["m CPU throughput b1"]
    measures = data["m CPU throughput b1"]
    assert {"throughput", "latency", "latency-p90", "latency-p99", "effective-gflops"} == \
        set(measures)
    for measure in measures.values():
        assert set(measure) <= {"value", "lower_value", "upper_value"}
        if "lower_value" in measure:
            assert measure["lower_value"] <= measure["value"] <= measure["upper_value"]
    assert measures["throughput"]["value"] == pytest.approx(100)
    assert measures["latency"]["value"] == pytest.approx(10.0 * 1e6)      # ms -> ns
    assert measures["latency"]["lower_value"] == pytest.approx(9.0 * 1e6)


def test_csv(result, tmp_path):
    EXPORTERS["csv"](benchmark_name(result), headline(result), str(tmp_path / "m.csv"))
    rows = list(csv.DictReader((tmp_path / "m.csv").open()))
    assert tuple(rows[0]) == csv_export.COLUMNS
    assert [r["metric"] for r in rows] == ["fps", "p50", "p90", "p99", "gflops"]
    assert float(rows[0]["value"]) == pytest.approx(100)
    assert rows[2]["low"] == rows[2]["level"] == ""    # no interval known for p90 here
    assert (float(rows[0]["low"]), float(rows[0]["high"]), rows[0]["level"]) == (
        pytest.approx(97.0), pytest.approx(103.0), "0.95")       # the one interval spelling


def test_run_writes_every_export(tiny_ir, tmp_path):
    from perfbench.cli.main import main
    assert main(["run", "-m", tiny_ir, "-t", "1", "-q", "--export-gab", str(tmp_path / "g"),
                 "--export-bmf", str(tmp_path / "b.json"), "--json", str(tmp_path / "r.json"),
                 "--export-csv", str(tmp_path / "c.csv")]) == 0
    document = json.loads((tmp_path / "r.json").read_text())
    steady = (document["precision"] or {}).get("fps_windows")
    fps = steady["value"] if steady else document["results"]["fps"]
    gab = json.loads((tmp_path / "g-bigger.json").read_text())
    assert next(e for e in gab if e["name"].endswith(" - fps"))["value"] == fps
    (measures,) = json.loads((tmp_path / "b.json").read_text()).values()
    assert measures["throughput"]["value"] == fps
    if steady:     # the value and its bounds come from one estimator
        assert measures["throughput"]["lower_value"] <= fps <= measures["throughput"]["upper_value"]
    assert (tmp_path / "c.csv").read_text().startswith("benchmark,metric")
    assert main(["run", "-m", tiny_ir, "--export-bmf", "/proc/perfbench/b.json"]) == 2


def test_docs_schemas_lists_the_export_csv_columns_in_order():
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parents[2] / "docs" / "schemas.md").read_text()
    paragraph = text.split("`run --export-csv PATH` writes one row per headline metric:")[1]
    paragraph = paragraph.split("(the metric's")[0]
    assert tuple(re.findall(r"`([a-z0-9_]+)`", paragraph)) == csv_export.COLUMNS
