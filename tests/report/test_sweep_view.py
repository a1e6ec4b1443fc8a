"""The sweep view on sweeps of known figures: it says what the terminal says (best under
SLA, sizing), labels its points and is titled by the model; its race chart draws each
point's interval by look, the eliminations and the confirmation A/B."""

import json

import numpy as np

from rich.console import Console

from perfbench.report import sweep_view
from perfbench.report.sweep_view import race_chart
from perfbench.results.race import Confirmation, Interval
from perfbench.sizing.race import REFERENCE, document
from perfbench.reporters import sweep_report
from perfbench.results.registry import read_document
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point, Sweep
from tests.models import synthetic_result
from tests.sizing import race_model


def _sweep() -> Sweep:
    points = [Point(key, settings, "done", result=synthetic_result([fps], p99=p99,
                                                                   model="resnet-tiny"))
              for key, settings, fps, p99 in (("default", {}, 100.0, 10.0),
                                              ("requests=1", {"requests": 1}, 60.0, 2.0),
                                              ("requests=4", {"requests": 4}, 120.0, 30.0))]
    spec = SweepSpec(BenchmarkConfig(model="models/resnet-tiny.xml"),
                     {"requests": [1, 4]}, sla_ms=20.0, target_fps=2000.0)
    return Sweep(spec, points, status="complete")


def _read_back(sweep: Sweep):
    """The sweep as ``perfbench report`` reads it from the file."""
    return read_document(json.loads(json.dumps(sweep.to_dict())), "sweep.json")


def test_the_page_carries_the_terminals_conclusions_and_sizing_line():
    """The terminal said "best under SLA: …" and "sizing: … machine(s) for 2,000 FPS"; the
    page said neither."""
    sweep = _sweep()
    console = Console(record=True, width=400)
    sweep_report.render(sweep.result(), console)
    terminal = console.export_text()
    doc = _read_back(sweep)
    html = "".join(sweep_view.section(doc, "sweep", "sweep-0").parts)
    assert "sizing:" in html and "best under sla" in html.lower()
    lines = sweep_view.conclusion_lines(doc)
    assert any(line.startswith("best under sla") or line.startswith("best under SLA")
               for line in lines), lines
    assert any(line.startswith("sizing:") and "2,000 FPS" in line for line in lines)
    for line in lines:
        assert line in terminal
    for line in lines:
        assert sweep_view.esc(line) in html


def test_points_are_labelled_and_the_title_is_the_models_name():
    doc = _read_back(_sweep())
    part = sweep_view.section(doc, "sweep", "sweep-0")
    assert part.title == "Sweep: resnet-tiny"
    html = "".join(part.parts)
    assert '"mode":"markers+text"' in html.replace(" ", "")
    for key in ("default", "requests=1", "requests=4"):
        assert f'"{key}"' in html


def test_the_race_chart_draws_every_look_marks_exits_and_shows_the_confirmation():
    truth = {REFERENCE: 1.0, "fast": 1.15, "slow": 0.6}
    race = race_model.play(np.random.default_rng(1), truth)
    confirm = Confirmation(REFERENCE, "fast", "complete", "improvement",
                           Interval(1.14, 1.12, 1.16, 0.99, 4), {"base": 100.0, "new": 114.0},
                           {"base": 95.0, "new": 109.0}, {"base": -5.0, "new": -4.4}, 4)
    doc = document(race, 0.1, confirmation=confirm)
    html = race_chart(doc, "race")
    looks_of_fast = [x.versus_default["fast"].ratio for x in doc.looks
                     if "fast" in x.versus_default]
    assert looks_of_fast and json.dumps(looks_of_fast[-1])[:8] in html
    assert "left the race" in html and "slow" in html and "worse than the leader" in html
    assert "Confirmation A/B: fast against default: improvement" in html
    assert "block vs sustained" in html and "-4.4" in html


def test_a_sweep_with_fidelity_draws_fps_against_it_and_names_what_it_excludes():
    """The fidelity sweep of known logits: the chart places each point at its precision's
    SQNR (f32, identical, at the ∞ tick), int8 as an excluded cross; the points table has
    each precision's top-1 and SQNR; the page says the constraint's lines as the terminal
    does."""
    from tests.results.sweep_inputs import fidelity
    doc = _read_back(fidelity())
    part = sweep_view.section(doc, "sweep", "sweep-0")
    html = "".join(part.parts)
    assert 'id="sweep-0-fidelity"' in html
    assert "∞ (identical)" in html or "\\u221e (identical)" in html
    assert "excluded by the fidelity constraint" in html
    assert "<th>top-1 agreement %</th>" in html and "<th>SQNR dB</th>" in html
    lines = sweep_view.conclusion_lines(doc)
    assert any(line.startswith("fidelity constraint: top-1 agreement ≥ 90 %; excluded "
                               "from the picks: precision=int8") for line in lines), lines
    chart_html = sweep_view.fidelity_chart(doc, sweep_view.points(doc), "f")
    int8 = next(f for f in doc.fidelity if f.precision == "int8")
    assert json.dumps(int8.sqnr_db)[:8] in chart_html
