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
    for name, interval in (equal["precision"] or {}).get("latency_ms", {}).items():
        interval["value"] = latency[name]      # each interval is of its percentile's value
    labels = run_view.percentile_labels(from_document(equal, "e"))
    assert [label for label, _ in labels] == ["p50", "p90", "p99 = p99.9"]
    figure = run_view.distribution(measured, "d")
    assert "e+0" not in figure and "ticktext" in figure


def _fidelity_document(inputs: str = "synthetic") -> dict:
    """A result holding a known fidelity block: a classifier whose answer changed on one
    of its 4 rows, a feature map with 1 % noise (exactly 40 dB), and an identical output."""
    import numpy as np
    from perfbench.results.fidelity import REAL_LABEL, SYNTHETIC_LABEL, Fidelity
    from perfbench.stats.fidelity import compare_output
    rng = np.random.default_rng(0)
    logits = [rng.standard_normal((1, 10)) for _ in range(4)]
    moved = [x.copy() for x in logits]
    moved[0][0, np.argsort(moved[0][0])[-2]] = moved[0].max() + 1   # runner-up now first
    features = [rng.standard_normal((1, 4, 2, 2)) for _ in range(4)]
    same = [rng.standard_normal((1, 3)) for _ in range(4)]
    outputs = (compare_output("logits", logits, moved),
               compare_output("features", features, [x * 1.01 for x in features]),
               compare_output("boxes", same, same))
    label = SYNTHETIC_LABEL if inputs == "synthetic" else REAL_LABEL
    fidelity = Fidelity("int8", "f32", 4, inputs, label, "d", outputs,
                        0 if inputs == "synthetic" else None)
    doc = synthetic_document([100.0])
    doc["schema_version"] = 3
    doc["latency_histogram"] = {"growth": 1.01, "min_ms": 0.001, "counts": [[700, 10]]}
    doc["fidelity"] = fidelity.to_dict()
    return doc


def test_the_run_view_shows_fidelity_with_the_terminals_title_and_figures():
    """The page had no fidelity at all: a --fidelity run's answers were only in the
    terminal and the JSON."""
    result = from_document(_fidelity_document(), "f")
    html = "".join(run_view.section(result, "f", "run-0").parts)
    console = Console(record=True, width=300)
    console.print(terminal.fidelity_table(result))
    assert run_view.fidelity_title(result) in console.export_text()
    assert run_view.fidelity_title(result) in html
    rows = {row[0]: row for row in run_view.fidelity_rows(result)}
    assert rows["logits [1,10]"][1:4] == ["75.0 % of 4", "100.0 % of 4",
                                          f"{result.fidelity.outputs[0].sqnr_db:.1f} dB"]
    assert rows["features [1,4,2,2]"][1:4] == ["–", "–", "40.0 dB"]
    assert rows["boxes [1,3]"][3] == "∞ (identical)"
    assert "numerical fidelity, not an accuracy cost" in html
    assert "Identical to the reference (SQNR ∞, no bar): boxes." in html
    assert 'id="run-0-fidelity-agreement"' in html and 'id="run-0-fidelity-sqnr"' in html
    real = from_document(_fidelity_document("--input"), "r")
    assert "not an accuracy cost" not in run_view.fidelity_part(real, "x")
    plain = from_document(synthetic_document([100.0]), "p")
    assert "Fidelity" not in "".join(run_view.section(plain, "p", "run-0").parts)


def test_fidelity_is_drawn_in_a_real_browser_with_the_stored_figures(tmp_path):
    """Headless Chromium: the agreement and SQNR bars hold exactly the stored figures (the
    identical output has no bar), nothing fails, and a screenshot is kept
    (build/report-shots/run-fidelity.png)."""
    from perfbench.report.page import write_documents
    from tests.report.test_browser import CHROMIUM, SHOTS, _browser
    sync_playwright = _browser()
    doc = _fidelity_document()
    out = tmp_path / "f.html"
    write_documents([(doc, "f.json")], ["report", "f.json"], str(out))
    errors = []
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(out.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg')"
                               ".length >= document.querySelectorAll('.chart').length")
        charts = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
            '.js-plotly-plot')].filter(el => el.id.includes('fidelity')).map(el => [el.id,
            {traces: el.data.map(t => ({name: t.name, x: t.x, y: t.y})),
             bars: el.querySelectorAll('g.trace path').length}]))""")
        page.locator("#run-0-fidelity-agreement").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "run-fidelity.png"))
        browser.close()
    assert errors == []
    result = from_document(doc, "f")
    logits, features, _ = result.fidelity.outputs
    agreement = {t["name"]: t for t in charts["run-0-fidelity-agreement"]["traces"]}
    # boxes [1,3] is classifier-shaped (identical: 100 %); three classes have no top-5,
    # and the feature map no agreement at all
    assert agreement["top-1 agreement"]["y"] == ["logits", "boxes"]
    assert agreement["top-1 agreement"]["x"] == [75.0, 100.0]
    assert agreement["top-5 agreement"]["y"] == ["logits"]
    assert agreement["top-5 agreement"]["x"] == [100.0]
    sqnr = charts["run-0-fidelity-sqnr"]["traces"][0]
    assert sqnr["y"] == ["logits", "features"] and \
        sqnr["x"] == [logits.sqnr_db, features.sqnr_db]
    assert features.sqnr_db == pytest.approx(40.0, abs=1e-9)
    assert charts["run-0-fidelity-agreement"]["bars"] == 3
    assert charts["run-0-fidelity-sqnr"]["bars"] == 2
