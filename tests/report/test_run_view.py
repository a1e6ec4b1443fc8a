"""The run view: its headline names each figure as the terminal does and says why it cannot
be trusted; its configuration is the terminal's requested | resolved table; its histogram
labels are readable."""

import json

import pytest
from rich.console import Console

from perfbench.cli.main import main
from perfbench.report import run_view
from perfbench.report import html as pieces
from perfbench.reporters import table as terminal
from perfbench.results import from_document, load
from perfbench.results.metrics import fps_estimate
from tests.models import synthetic_document

STEADY_FPS, WHOLE_RUN_FPS = "steady-state FPS (headline)", "throughput (whole run)"
STEADY_GFLOPS, WHOLE_RUN_GFLOPS = "steady-state GFLOP/s", "effective compute (whole run)"
DISTURBED = {"name": "other_processes_cpu", "ok": False, "value": 61.0, "threshold": 10.0,
             "message": "other processes used 61 % of the CPU during the run; stop them, "
                        "or pin perfbench to idle cores (taskset)"}


@pytest.fixture(scope="module")
def measured(tiny_ir, tmp_path_factory):
    """A real 3 s run: long enough for steady windows and their interval."""
    path = tmp_path_factory.mktemp("run") / "r.json"
    assert main(["run", "-m", tiny_ir, "-t", "3", "-q", "--json", str(path)]) == 0
    return load(str(path))


def _terminal_text(result) -> str:
    console = Console(record=True, width=300)
    terminal.render(result, console)
    return console.export_text()


def test_the_headline_names_both_fps_and_gflops_figures_as_the_terminal_does(measured):
    """The terminal's first line said "throughput 2.20 FPS" (the whole run) and the page
    "fps 2.158" (steady windows): each figure now has one name on both, and the page says
    which is the headline."""
    html = run_view._headline(measured)
    assert f"<td>{STEADY_FPS}</td>" in html and f"<td>{WHOLE_RUN_FPS}</td>" in html
    rows = {row[0]: row for row in run_view.headline_rows(measured)}
    steady = fps_estimate(measured)[0]
    assert rows[STEADY_FPS][1] == run_view.num(steady)
    assert (terminal.STEADY_FPS, terminal.WHOLE_RUN_FPS, terminal.WHOLE_RUN_GFLOPS,
            run_view.STEADY_GFLOPS) == (STEADY_FPS, WHOLE_RUN_FPS, WHOLE_RUN_GFLOPS,
                                        STEADY_GFLOPS)     # one spelling, both outputs
    assert rows[WHOLE_RUN_FPS][1] == run_view.num(measured.fps)
    assert rows[WHOLE_RUN_GFLOPS][1] == run_view.num(measured.effective_gflops)
    assert rows[STEADY_GFLOPS][1] == \
        run_view.num(steady * measured.model.gflops_per_image)
    text = _terminal_text(measured)
    for label in (STEADY_FPS, WHOLE_RUN_FPS, WHOLE_RUN_GFLOPS):
        assert label in text
    assert f"{WHOLE_RUN_FPS}" in text and f"{measured.fps:,.2f} FPS" in text
    assert "fps" not in rows and "gflops" not in rows


def test_the_headline_says_in_words_why_its_figures_cannot_be_trusted():
    """It said "1 warning" in amber; the reason was screens further down."""
    doc = synthetic_document([100.0])
    doc["checks"] = [DISTURBED, {"name": "cpu_steal", "ok": True, "value": 0.0,
                                 "threshold": 5.0, "message": ""}]
    doc["warnings"] = [DISTURBED["message"]]
    html = run_view._headline(from_document(doc, "x"))
    assert "cannot be trusted" in html
    assert "other processes used 61 % of the CPU during the run" in html
    assert "taskset" not in html          # the finding, not the remedy
    clean = synthetic_document([100.0])
    assert "cannot be trusted" not in run_view._headline(from_document(clean, "y"))


def test_the_configuration_is_requested_against_resolved_without_settings_that_do_not_apply(
        measured):
    """25 rows of "requested x" / "resolved y", with calibration_size (no quantization),
    model_type and repeat 1; now the terminal's three columns."""
    html = run_view._configuration(measured)
    assert "<th>requested</th><th>resolved by device</th>" in html
    rows = {row[0]: row for row in run_view.config_rows(measured)}
    for label, _, _ in terminal._CONFIG_ROWS:
        assert label in rows
    for absent in ("calibration_size", "calibration size", "model_type", "model type",
                   "repeat", "fill", "seed"):
        assert absent not in rows
    assert rows["time"][1] == "3.0"         # set away from its default: shown
    assert rows["streams"][2] == str(measured.resolved["streams"])
    quantized = json.loads(json.dumps(measured.to_dict()))
    quantized["config"]["requested"].update(quantize="int8", calibration_size=64)
    shown = run_view.applicable_settings(from_document(quantized, "q"))
    assert shown["calibration_size"] == 64 and shown["model_type"] == "cnn"


def test_histogram_labels_are_readable_numbers_on_rows_of_their_own(measured):
    """"p90 1.62e+03 ms", labels over each other where percentiles are equal, and log ticks
    reading "3 4 5 … 9 10 2 3"."""
    assert run_view.mark_text("p90", 1620.0) == "p90 1,620 ms"
    assert run_view.mark_text("p50", 0.1457) == "p50 0.146 ms"
    values, text = pieces.log_ticks(0.02, 7.0)
    assert values == [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]
    assert text == ["0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5"]
    assert pieces.log_ticks(100, 3000)[1] == ["100", "200", "500", "1,000", "2,000"]
    equal = json.loads(json.dumps(measured.to_dict()))
    latency = equal["results"]["latency_ms"]
    latency["p99"] = latency["p99_9"] = latency["max"]
    labels = run_view.percentile_labels(from_document(equal, "e"))
    assert [label for label, _ in labels] == ["p50", "p90", "p99 = p99.9"]
    figure = run_view.distribution(measured, "d")
    assert "e+0" not in figure and "ticktext" in figure
