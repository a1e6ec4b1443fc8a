"""The fleet view of a suite fleet report: each model's best configuration per class (a
trace per model) and the mix's machines and cost per class."""

import json
import re

from perfbench.report.fleet_view import section
from perfbench.report.html import Section
from perfbench.sizing.fleet import Measured, report


def _m(klass, model, fps, threads):
    config = f"{model} threads={threads}"
    return Measured(klass, config, f"host-{klass}", fps, fps * 0.9, fps * 1.1, 5.0, False,
                    "x", config, model)


def _traces(html: str, chart_id: str) -> list[dict]:
    """The traces plotly is given for one chart (its first JSON array argument)."""
    start = html.index(f'"{chart_id}"', html.index(f'id="{chart_id}"') + 1)
    text = html[start:]
    return json.JSONDecoder().raw_decode(text[text.index("["):])[0]


def _html(part: Section) -> str:
    return "".join(part.parts)


def test_per_model_best_configuration_and_mix_cost_are_drawn():
    measured = [_m("A", "conv", 300.0, 1), _m("A", "conv", 200.0, 2), _m("A", "mlp", 400.0, 1),
                _m("B", "conv", 100.0, 1), _m("B", "mlp", 900.0, 1)]
    doc = report(measured, None, None, 0.0, {"A": 2.0, "B": 1.0},
                 {"conv": 600.0, "mlp": 400.0})
    part = section(doc, "suites", "fleet-0")
    html = _html(part)
    models = {t["name"]: t for t in _traces(html, "fleet-0-models")}
    assert models["conv"]["x"] == ["A", "B"] and models["conv"]["y"] == [300.0, 100.0]
    assert models["mlp"]["y"] == [400.0, 900.0]
    assert models["conv"]["text"][0] == "conv threads=1"     # the best of A's two variants
    # A: 600/300 + 400/400 = 3 machines at 2.0 = 6/h; B: 6 + 0.44 -> 7 at 1.0 = 7/h
    (mix,) = _traces(html, "fleet-0-mix")
    assert mix["x"] == ["A", "B"] and mix["y"] == [3, 7]
    assert part.badge == ("cheapest: A", "ok")
    rows = re.findall(r"<tr><td>([AB])</td><td>[\d.]+</td><td>(\d+)</td><td>([\d.]+)</td>",
                      html)
    assert rows == [("A", "3", "6.000"), ("B", "7", "7.000")]
    assert 'id="fleet-0-fps"' not in html and "per model" in html


def test_a_class_missing_a_model_of_the_mix_gets_no_machines():
    measured = [_m("A", "conv", 300.0, 1), _m("A", "mlp", 400.0, 1), _m("B", "conv", 100.0, 1)]
    html = _html(section(report(measured, None, None, 0.0, None, {"conv": 600.0, "mlp": 1.0}),
                         "s", "fleet-0"))
    (mix,) = _traces(html, "fleet-0-mix")
    assert mix["x"] == ["A"] and "<td>B</td><td>6.000</td><td>–</td><td>–</td><td>mlp</td>" \
        in html
