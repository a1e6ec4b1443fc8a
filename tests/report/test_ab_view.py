"""The A/B view on documents the runner itself writes (``runner.ab.document``) from rounds
with chosen figures: a short, noisy run whose interim band reaches far beyond its rounds."""

import dataclasses
import json
import math

import pytest

from perfbench.report import ab_view
from perfbench.results.ab import ABResult, SideFigures
from perfbench.runner.ab import ABRun, Epoch, Round, _after_epoch, decide, document
from perfbench.results.metrics import images_per_second


def _block(fps, completed=None):
    return {"fps": fps, "completed": completed or int(fps * 10), "duration_s": 10.0,
            "batch": 1, "median_ms": 1e3 / fps, "p99_ms": 2e3 / fps}


def ab_document(epochs: list[list[float]]) -> ABResult:
    """Each epoch's NEW/BASE per round (BASE at 100 FPS), looked at after each epoch as
    the runner looks, and written by the runner's own ``document``."""
    run = ABRun(settings={"base": {}, "new": {}}, max_time_s=1e9, early_stop=False)
    for i, ratios in enumerate(epochs):
        run.epochs.append(Epoch(i, "base" if i % 2 == 0 else "new",
                                [Round("AB" if j % 2 == 0 else "BA", _block(100.0),
                                       _block(100.0 * r)) for j, r in enumerate(ratios)]))
        _after_epoch(run, lambda: 0.0, 0.0)
    run.status, run.stop_reason = "complete", "max_time"
    run.decision = decide(run)
    return ABResult.from_dict(json.loads(json.dumps(document(run, 0).to_dict())))


@pytest.fixture(scope="module")
def short():
    """Two epochs of four noisy rounds: the 99 % interim interval spans about
    [0.009, 92] (the issue's reached 5,918), the judged 95 % one [0.36, 2.3]."""
    return ab_document([[0.9, 1.3, 0.7, 1.1], [0.5, 0.9, 1.4, 0.8]])


def _figure(html: str) -> dict:
    """The plotly figure JSON a chart div embeds."""
    start = html.index("Plotly.newPlot(")
    decoder = json.JSONDecoder()
    rest = html[start + len("Plotly.newPlot("):]
    _, rest = rest.split(",", 1)              # the div id
    data, end = decoder.raw_decode(rest.lstrip())
    layout, _ = decoder.raw_decode(rest.lstrip()[end:].lstrip(", "))
    return {"data": data, "layout": layout}


def test_the_chart_draws_the_interval_the_verdict_was_judged_on(short):
    """Only the 99 % interim band was drawn, while the badge was judged at 95 %."""
    judged = short.verdict_interval
    figure = _figure(ab_view.ratio_chart(short, "c"))
    trace = next(t for t in figure["data"] if t["name"].startswith("judged"))
    assert "95 %" in trace["name"]
    assert trace["y"][0] == pytest.approx(judged.ratio)
    assert trace["y"][0] + trace["error_y"]["array"][0] == pytest.approx(judged.high)
    assert trace["y"][0] - trace["error_y"]["arrayminus"][0] == pytest.approx(judged.low)


def test_a_short_runs_ratios_are_readable_on_a_log_axis_with_the_band_clipped(short):
    """The interim band reached 5,918 on a linear axis and flattened the rounds."""
    figure = _figure(ab_view.ratio_chart(short, "c"))
    axis = figure["layout"]["yaxis"]
    assert axis["type"] == "log"
    low, high = (10 ** v for v in axis["range"])
    interim = short.looks[-1].interval
    assert interim.high > 10 * high and interim.low < low / 10
    rounds = [r for _, _, r in ab_view.round_ratios(short)]
    assert low < min(rounds) and max(rounds) < high
    assert low < short.verdict_interval.low < short.verdict_interval.high < high
    band = next(t for t in figure["data"] if t["name"].startswith("interim"))
    assert "clipped" in band["name"]
    assert all(low <= y <= high for y in band["y"])
    assert all("e+" not in text for text in axis["ticktext"]) and len(axis["ticktext"]) >= 3


def test_threshold_lines_are_thin_lines_with_their_labels_apart(short):
    figure = _figure(ab_view.ratio_chart(short, "c"))
    lines = [s for s in figure["layout"]["shapes"] if s["line"].get("color") == "#c44e52"]
    assert len(lines) == 2 and all(s["line"]["width"] <= 1 for s in lines)
    assert all(s["line"].get("dash") in (None, "solid") for s in lines)
    labels = sorted((a for a in figure["layout"]["annotations"] if "%)" in a["text"]),
                    key=lambda a: a["y"])
    lower, upper = sorted(s["y0"] for s in lines)
    # on a log axis an annotation's y is log10 of the value
    assert labels[0]["y"] == pytest.approx(math.log10(lower)) and labels[0]["yanchor"] == "top"
    assert labels[1]["y"] == pytest.approx(math.log10(upper)) and \
        labels[1]["yanchor"] == "bottom"
    assert not any(t.get("mode", "").count("markers") and "threshold" in t["name"]
                   for t in figure["data"])


def test_no_none_looks_and_no_process_sd_of_zero_from_two_epochs(short):
    """"Looks after each epoch: None, None." and "process SD % 0" with 1 dof."""
    html = ab_view._epochs(short) + ab_view._ratios(short)
    assert "None" not in html
    assert "measure on" in html
    assert short.ratios["fps"].process_sd_pct is None and short.ratios["fps"].dof < 2
    row = html[html.index("<td>fps</td>"):].split("</tr>")[0]
    assert "<td>0</td>" not in row and "not estimable from 2 epochs" in row


def test_each_sides_fps_and_latency_are_on_the_page(short):
    text = "".join(ab_view.section(short, "ab.json", "ab-0").parts)
    assert "<th>FPS (all usable blocks)</th>" in text
    blocks = [r.new for e in short.epochs for r in e.rounds]
    new_fps = images_per_second(sum(b["completed"] for b in blocks), 1,
                                sum(b["duration_s"] for b in blocks))
    assert short.side_figures["base"].fps == pytest.approx(100.0)
    assert short.side_figures["new"].fps == pytest.approx(new_fps)
    assert "<th>FPS (all usable blocks)</th>" in text and ab_view.num(new_fps) in text
    # the verdict comes before the chart
    assert text.index("Verdict") < text.index("FPS (all usable blocks)") < text.index("plotly")


def test_the_side_figures_are_the_documents_not_the_views_own(short):
    """The view shows the FPS and latencies the runner stored: change them in the
    document and the page follows (the view used to recompute FPS from the blocks)."""
    changed = dataclasses.replace(short, side_figures={
        "base": SideFigures(4321.0, 1.25, 2.5), "new": SideFigures(8765.0, 0.75, 1.5)})
    html = ab_view._side_figures(changed)
    for value in (4321.0, 8765.0, 1.25, 2.5, 0.75, 1.5):
        assert f"<td>{ab_view.num(value)}</td>" in html


def test_both_sides_list_only_the_settings_that_apply():
    """As the run view's configuration (item 9): no calibration_size without quantization,
    no model_type, no repeat 1."""
    from perfbench.settings.config import BenchmarkConfig
    doc = dataclasses.replace(ab_document([[1.0, 0.99], [1.01, 1.0]]), settings={
        "base": BenchmarkConfig(model="a.xml").to_dict(),
        "new": BenchmarkConfig(model="b.xml", streams=2).to_dict()})
    html = ab_view._sides(doc)
    assert "model=a.xml" in html and "streams=2" in html
    for absent in ("calibration_size", "model_type", "repeat", "fill=", "seed="):
        assert absent not in html


# --- the attribution's waterfall (ab --attribute) ---

def _attributed(status: str = "complete", error: str | None = None) -> ABResult:
    """The document a real ``ab --attribute`` of two tiny models wrote (one node on one
    side only), with its attribution's status as given."""
    from perfbench.results import load_document
    doc = load_document("tests/data/ab_v3.json")
    return dataclasses.replace(doc, attribution=dataclasses.replace(
        doc.attribution, status=status, error=error))


def test_the_waterfalls_bars_add_up_to_the_measured_total():
    doc = _attributed()
    bars = ab_view.waterfall_bars(doc.attribution.table)
    total = doc.attribution.table.total.delta
    assert bars[-1]["kind"] == "total" and bars[-1]["start"] == 0
    assert bars[-1]["end"] == total.value and bars[-1]["low"] == total.low
    # each bar starts where the previous ended; the last part ends at the total
    for before, after in zip(bars[:-2], bars[1:-1]):
        assert after["start"] == before["end"]
    assert bars[-2]["end"] == pytest.approx(total.value, abs=1e-12)
    assert sum(b["delta"] for b in bars[:-1]) == pytest.approx(total.value, abs=1e-12)
    top = doc.attribution.table.nodes[0]
    assert top.key in bars[0]["label"] and bars[0]["low"] == top.change.delta.low
    assert [b["kind"] for b in bars[-2:]] == ["outside", "total"]


def test_a_top_nodes_bar_says_what_changed():
    doc = _attributed()
    table = doc.attribution.table
    odd = next(r for r in table.nodes if not r.matched)
    bars = ab_view.waterfall_bars(doc.attribution.table)
    bar = next(b for b in bars if odd.key[:30] in b["label"])
    assert odd.changes[0] in bar["label"] and bar["changes"] == "; ".join(odd.changes)
    conv = next(b for b in bars if b["label"].startswith(table.nodes[0].key))
    assert "precision bf16 → f32" in conv["label"]          # implementation and precision


def test_the_waterfall_is_under_the_verdict():
    html = "".join(ab_view.section(_attributed(), "ab", "ab-0").parts)
    assert html.index('class="verdict"') < html.index("ab-0-waterfall") < html.index(
        "ab-0-rounds")


def test_a_partial_attribution_says_so_above_its_chart():
    html = "".join(ab_view.section(_attributed("partial", "epoch 2 failed: worker died"),
                                   "ab", "ab-0").parts)
    assert "Attribution partial: epoch 2 failed: worker died" in html
    assert html.index("Attribution partial") < html.index("ab-0-waterfall")
    assert "PARTIAL" in html


def test_a_failed_attribution_is_a_notice_and_no_chart():
    from perfbench.results.attribution import Attribution
    doc = dataclasses.replace(_attributed(), attribution=Attribution.failed("worker exited"))
    html = "".join(ab_view.section(doc, "ab", "ab-0").parts)
    assert "Attribution failed: worker exited. No waterfall" in html
    assert "ab-0-waterfall" not in html


def test_two_long_node_names_with_one_prefix_get_two_rows():
    """Two bars with one label are drawn on one row of plotly's categorical axis: BERT's
    query and key convolutions shared their first 40 characters (review)."""
    import dataclasses
    from perfbench.report.ab_view import waterfall_bars
    from perfbench.results import load_document
    from pathlib import Path
    doc = load_document(str(Path(__file__).parents[1] / "data" / "ab_v3.json"))
    table = doc.attribution.table
    prefix = "__module.bert.encoder.layer.0.attention.self."
    nodes = tuple(dataclasses.replace(row, key=prefix + tail, base_nodes=(prefix + tail,),
                                      new_nodes=(prefix + tail,),
                                      type="MatMul", changes=("execType brgemm → jit",))
                  for row, tail in zip(table.nodes, ("query/aten::linear/MatMul",
                                                     "key/aten::linear/MatMul")))
    nodes += table.nodes[2:]
    attribution = dataclasses.replace(doc.attribution,
                                      table=dataclasses.replace(table, nodes=nodes))
    labels = [bar["label"] for bar in waterfall_bars(attribution.table)]
    assert len(labels) == len(set(labels))
