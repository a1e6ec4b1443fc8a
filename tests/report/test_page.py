"""The page: what comes first (the answer), and the provenance header."""

import dataclasses
import json

from perfbench.report.loader import from_json
from perfbench.report.page import build
from perfbench.system.host import describe_host
from perfbench.tracking.verdict import compare, parse_noise_floors, parse_thresholds
from tests.models import synthetic_document, synthetic_result
from tests.report.test_ab_view import ab_document


def test_compare_html_opens_with_the_comparison_not_the_base_runs_view():
    """The verdict was about three screens down, below the full view of BASE."""
    base, new = synthetic_document([100.0, 101.0, 99.0]), synthetic_document([80.0, 81.0, 79.0])
    comparison = compare([synthetic_result([100.0, 101.0, 99.0])],
                         [synthetic_result([80.0, 81.0, 79.0])], ["base.json"], ["new.json"],
                         parse_thresholds([]), noise_floors=parse_noise_floors([]))
    page = build([from_json(base, "base.json"), from_json(new, "new.json")],
                 ["compare", "base.json", "new.json"], comparison)
    sections = page.split("<section id=")[1:]
    assert sections[0].startswith('"compare"')
    first = sections[0]
    assert "REGRESSION: fps -20.0 %" in first
    assert first.index("REGRESSION: fps") < first.index("Change per metric") < \
        first.index("plotly")
    assert page.index('<section id="compare"') < page.index('<section id="run-0"')


def test_the_header_names_the_hardware_class_an_ab_document_records():
    """"hardware class: not recorded" on an A/B page, while runs record it."""
    doc = dataclasses.replace(ab_document([[1.0, 0.99], [1.01, 1.0]]),
                              host=describe_host([], "x"))
    page = build([from_json(json.loads(json.dumps(doc.to_dict())), "ab.json")],
                 ["report", "ab.json"])
    header = page[page.index("<header>"):page.index("</header>")]
    assert f"hardware class {doc.host['hardware_class']}" in header
    assert "<td>hardware class</td><td>not recorded</td>" not in header


def test_the_provenance_is_one_line_with_the_table_folded_under_it():
    page = build([from_json(synthetic_document([100.0]), "r.json")], ["report", "r.json"])
    header = page[page.index("<header>"):page.index("</header>")]
    assert "<details><summary>" in header and "command line" in header
