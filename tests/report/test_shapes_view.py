"""The data-shapes view on real documents of `perfbench.shapes`."""

import json

from perfbench.report.loader import load_input
from perfbench.report.page import build


def test_a_shapes_document_without_a_measured_shape_is_drawn_without_error(tmp_path):
    """The first shape failed: the document has no results (a regression once made the
    view fail on the empty list)."""
    from perfbench.results.shapes import ShapesResult
    doc = ShapesResult.measured([], 3, error="shape 1: failed")
    path = tmp_path / "shapes.json"
    path.write_text(json.dumps(doc.to_dict()))
    page = build([load_input(str(path))], ["report", str(path)])
    assert page.startswith("<!DOCTYPE html>")
