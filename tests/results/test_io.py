"""The one reader of result files: typed, validated, and faithful to version-1 files."""

import json
from pathlib import Path

import pytest

from perfbench.errors import UsageError
from perfbench.reporters import json_report
from perfbench.results import BenchmarkResult, from_document, load

#: Written by perfbench 0.1.0 before the typed reader existed (`perfbench run --repeat 2`
#: on the tiny conv model): what users' baselines and histories hold today.
V1_FILE = Path(__file__).resolve().parent.parent / "data" / "result_v1.json"


def test_a_version_1_file_loads_typed_and_writes_the_current_version():
    """Read, a version-1 file is the current version (4): the same figures, its intervals
    in the one spelling (the only difference, with the version number), no histogram."""
    result = load(str(V1_FILE))
    assert isinstance(result, BenchmarkResult) and result.schema_version == 4
    original = json.loads(V1_FILE.read_text())
    written = json.loads(json_report.render(result))
    assert written["schema_version"] == 4 and "latency_histogram" not in written
    assert {k: v for k, v in written.items() if k not in ("schema_version", "precision")} == \
        {k: v for k, v in original.items() if k not in ("schema_version", "precision")}
    old, new = original["precision"], written["precision"]
    for name in ("fps_windows", "fps_trials"):
        assert new[name] == {"value": old[name]["value"], "low": old[name]["ci95_low"],
                             "high": old[name]["ci95_high"], "level": 0.95,
                             "half_width_pct": old[name]["ci95_half_width_pct"],
                             "n": old[name]["n"], "cv_pct": old[name]["cv_pct"]}
    assert new["latency_ms"] == {
        p: {"value": original["results"]["latency_ms"][p], "low": lo, "high": hi,
            "level": 0.95} for p, (lo, hi) in old["latency_ci95_ms"].items()}
    assert result.fps == original["results"]["fps"]
    assert result.latency.p99 == original["results"]["latency_ms"]["p99"]
    assert len(result.trials) == 2 and len(result.windows) == len(original["timeline"])
    assert result.precision.fps_windows.high == old["fps_windows"]["ci95_high"]
    again = from_document(written, "written")     # what it writes reads back as written
    assert again == result and json_report.render(again) == json_report.render(result)


def test_a_fresh_result_round_trips(tiny_ir, tmp_path):
    from perfbench import BenchmarkConfig, run
    result = run(BenchmarkConfig(model=tiny_ir, iterations=50))
    path = tmp_path / "r.json"
    json_report.write(result, str(path))
    assert load(str(path)) == result


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["results"].update(duration_s="long"), "results.duration_s must be a finite"),
    (lambda d: d["results"]["latency_ms"].pop("p99"), "results.latency_ms.p99 is missing"),
    (lambda d: d["timeline"][0].update(completed=None), "timeline[0].completed must be a number"),
    (lambda d: d.update(environment=[]), "environment must be an object"),
])
def test_damaged_fields_are_named(tmp_path, edit, message):
    document = json.loads(V1_FILE.read_text())
    edit(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(str(path))


def test_the_drivers_cpu_figures_round_trip_and_are_checked(tiny_ir, tmp_path):
    from perfbench import BenchmarkConfig, run
    result = run(BenchmarkConfig(model=tiny_ir, iterations=50))
    document = json.loads(json_report.render(result))
    assert document["results"]["driver_cpu_s"] == result.driver_cpu_s
    path = tmp_path / "r.json"
    path.write_text(json.dumps(document))
    assert load(str(path)).driver_cpu_share == result.driver_cpu_share
    document["results"]["driver_cpu_share"] = 0.01
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError, match="results.driver_cpu_share is 0.01"):
        load(str(path))
def _perfbench_schemas() -> set[str]:
    """Every document schema perfbench writes, read from its source."""
    import re
    package = Path(__file__).resolve().parent.parent.parent / "perfbench"
    found = set()
    for path in package.rglob("*.py"):
        text = path.read_text()
        found.update(re.findall(r'SCHEMA = "(perfbench\.[a-z-]+)"', text))
        found.update(re.findall(r'"schema": "(perfbench\.[a-z-]+)"', text))
    return found


def test_every_perfbench_document_is_known():
    from perfbench.results.registry import KINDS
    assert _perfbench_schemas() == set(KINDS)


@pytest.mark.parametrize("schema,named,reader", [
    ("perfbench.sweep", "a sweep", "fleet report"),
    ("perfbench.comparison", "a comparison", "compare"),
    ("perfbench.ab", "an A/B run", "history"),
    ("perfbench.shapes", "a --data-shape", "results"),
    ("perfbench.server-search", "a server rate search", "sweep"),
])
def test_perfbench_s_own_other_files_are_named(tmp_path, schema, named, reader):
    """Before: "not a perfbench result (…; another tool's file?)" for perfbench's own
    sweep, comparison and A/B files."""
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"schema": schema, "schema_version": 1}))
    with pytest.raises(UsageError) as err:
        load(str(path))
    message = str(err.value)
    assert "another tool" not in message and named in message and reader in message
    assert "\n" not in message


def test_a_fresh_result_is_the_current_version_with_its_latency_histogram(tiny_ir, tmp_path):
    """Every latency is in the histogram, whose percentiles agree with the exact ones to
    its 0.5 % bucket; the stored document stays small (bounded buckets)."""
    from perfbench import BenchmarkConfig, run
    from perfbench.stats.histogram import LogHistogram
    result = run(BenchmarkConfig(model=tiny_ir, iterations=200))
    document = json.loads(json_report.render(result))
    assert document["schema_version"] == 4
    histogram = LogHistogram.from_dict(document["latency_histogram"])
    assert histogram.count == result.latency.count == 200
    assert histogram.percentile(50) == pytest.approx(result.latency.median, rel=0.005)
    assert histogram.percentile(99) == pytest.approx(result.latency.p99, rel=0.005)
    assert len(json.dumps(document["latency_histogram"])) < 40_000


@pytest.mark.parametrize("edit,message", [
    # absent, it is a result read from a version-1 file: not in a version-2 or 3 file
    (lambda d: (d.pop("latency_histogram"), d.update(schema_version=3)),
     "latency_histogram must be an object"),
    (lambda d: d.update(latency_histogram=[]), "latency_histogram must be an object"),
    (lambda d: d["latency_histogram"]["counts"].append([0, 1]), "latency_histogram.counts"),
    # a bucket design other than this version's: the report view raised a ValueError
    (lambda d: d["latency_histogram"].update(growth=1.02), "growth is 1.02, not this"),
    (lambda d: d["latency_histogram"].update(min_ms=0.01), "min_ms is 0.01, not this"),
    (lambda d: d["latency_histogram"]["counts"].append([10 ** 6, 1]), "up to 2082"),
])
def test_a_version_2_file_without_a_sound_histogram_is_refused(tiny_ir, tmp_path, edit,
                                                               message):
    from perfbench import BenchmarkConfig, run
    document = json.loads(json_report.render(run(BenchmarkConfig(model=tiny_ir,
                                                                 iterations=20))))
    edit(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError, match=message):
        load(str(path))


def test_a_version_1_file_has_no_histogram_and_writes_the_current_version():
    result = load(str(V1_FILE))
    assert result.latency_histogram is None and result.schema_version == 4
