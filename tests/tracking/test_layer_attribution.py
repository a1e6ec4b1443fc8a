"""``compare --attribute`` on two real runs of tiny models with a known cause: NEW's model
is BASE's with one more (heavier) convolution in the middle."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset15 as ops
import pytest

from perfbench.cli.main import main
from perfbench.results import load, load_document
from perfbench.results.comparison import Comparison
from perfbench.tracking.layer_attribution import attribute_results

DATA = Path(__file__).resolve().parent.parent / "data"


def _chain(extra: bool) -> ov.Model:
    """Three named 3×3 conv + ReLU; with ``extra``, a 7×7 conv (5.4× the work of one 3×3)
    after the second."""
    x = ops.parameter([1, 16, 32, 32], np.float32, name="x")
    rng = np.random.default_rng(0)
    y = x
    for i in range(3):
        w = ops.constant((rng.standard_normal((16, 16, 3, 3)) / 10).astype(np.float32))
        conv = ops.convolution(y, w, [1, 1], [1, 1], [1, 1], [1, 1])
        conv.set_friendly_name(f"conv{i}")
        y = ops.relu(conv)
        y.set_friendly_name(f"relu{i}")
        if extra and i == 1:
            w7 = ops.constant((rng.standard_normal((16, 16, 7, 7)) / 50).astype(np.float32))
            y = ops.convolution(y, w7, [1, 1], [3, 3], [3, 3], [1, 1])
            y.set_friendly_name("extra_conv7x7")
    return ov.Model([y], [x], "chain")


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    """Each model run once with the per-layer pass (--perf-counters)."""
    root = tmp_path_factory.mktemp("attribute")
    paths = []
    for name, extra in (("base", False), ("new", True)):
        model = root / f"{name}.xml"
        ov.save_model(_chain(extra), str(model), compress_to_fp16=False)
        out = root / f"{name}.json"
        assert main(["run", "-m", str(model), "-t", "1", "-q", "--perf-counters",
                     "--json", str(out)]) == 0
        paths.append(str(out))
    return paths


def test_the_extra_node_is_named_first_and_the_rows_add_up(profiled):
    base, new = profiled
    found = attribute_results([load(base)], [load(new)], [base], [new])
    top = found.nodes[0]
    assert top.key == "extra_conv7x7" and top.base_nodes == () and top.changes == (
        "only in NEW",)
    assert top.change.delta.value == pytest.approx(top.change.new_ms) and top.change.new_ms > 0
    # every counted millisecond is in one row: the rows are the change of the counters' sum
    assert sum(r.change.delta.value for r in found.nodes) == pytest.approx(
        found.counted.delta.value)
    assert found.unmatched.delta.value == pytest.approx(sum(
        r.change.delta.value for r in found.nodes if not r.matched))
    counted_new = sum(layer.mean_ms for layer in load(new).layers)
    assert found.counted.new_ms == pytest.approx(counted_new)
    # the three 3×3 convolutions are matched by name, on both sides
    assert {r.key for r in found.nodes if r.matched and r.type == "Convolution"} == \
        {"conv0", "conv1", "conv2"}
    # one profiling pass a side: no interval is claimed
    assert all(r.change.delta.low is None and (r.change.ratio is None or
                                               r.change.ratio.low is None)
               for r in found.nodes)
    # ... and no level, family level or judgement either (the metadata said 95 %,
    # Bonferroni and "within the level" on every row before)
    assert (found.interval_over, found.level) == (None, None)
    assert (found.row_family.level, found.type_family.level) == (None, None)
    assert {r.change.beyond_level for r in (*found.nodes, *found.types)} == {None}
    assert found.total.beyond_level is None and found.outside_counters.beyond_level is None
    kinds = {r.key: r for r in found.types}
    assert kinds["Convolution"].changes == ("3 → 4 nodes",)


def test_compare_attribute_prints_the_tables_and_says_there_is_no_interval(profiled, capsys):
    base, new = profiled
    code = main(["compare", base, new, "--attribute"])
    out = " ".join(capsys.readouterr().out.split())
    assert code in (0, 1, 3)
    assert "nodes by contribution to the change of the per-layer counters" in out
    rows = out[out.index("nodes by contribution"):]
    assert rows.index("extra_conv7x7") < rows.index("conv0")
    assert "only in NEW" in out and "no intervals: one file a side" in out


def test_a_file_without_counters_is_one_line_and_exit_2(profiled, capsys):
    plain = str(DATA / "result_v3-plainbase.json")
    assert main(["compare", plain, profiled[1], "--attribute"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no per-layer counters" in err and plain in err


def test_compare_attribute_s_table_is_in_the_json_markdown_and_html(profiled, tmp_path):
    """The comparison document carries the producer's table (schema 3), the Markdown
    prints both tables ranked as the producer ranked them, and the HTML compare view
    draws the A/B view's waterfall of it, ending at the counters' total change."""
    base, new = profiled
    js, md, page = tmp_path / "c.json", tmp_path / "c.md", tmp_path / "c.html"
    outputs = ["--json", str(js), "--markdown", str(md)]
    if importlib.util.find_spec("plotly") is not None:
        outputs += ["--html", str(page)]
    assert main(["compare", base, new, "--attribute", *outputs]) in (0, 1, 3)
    document = load_document(str(js))
    assert isinstance(document, Comparison) and document.schema_version == 4
    made = attribute_results([load(base)], [load(new)], [base], [new])
    assert document.attribution == made
    assert Comparison.from_dict(json.loads(js.read_text())) == document
    text = md.read_text()
    nodes = text[text.index("nodes by contribution to the change of the per-layer"):
                 text.index("### Node types")]
    ranked = [line.split(" | ")[1] for line in nodes.splitlines() if line.startswith("| ")]
    assert ranked[1:] == [r.name for r in made.nodes[:len(ranked) - 1]]   # [0]: header
    assert ranked[1] == "extra_conv7x7" and "| only in NEW |" in nodes
    assert "no intervals: one file a side" in text
    if page.exists():
        from perfbench.report.ab_view import waterfall_bars
        html = page.read_text()
        assert 'id="compare-waterfall"' in html and "extra_conv7x7" in html
        bars = waterfall_bars(document.attribution)
        assert bars[0]["label"].startswith("extra_conv7x7")
        assert bars[-1]["kind"] == "total" and bars[-1]["end"] == pytest.approx(
            made.total.delta.value)
        assert bars[-2]["end"] == pytest.approx(bars[-1]["end"])    # the steps add up


def test_a_comparison_without_attribute_writes_none():
    """Not asked: no ``attribution`` key (a version-2 file upgrades to the same)."""
    plain = load_document(str(DATA / "comparison_v2.json"))
    assert plain.attribution is None and "attribution" not in plain.to_dict()
    stored = load_document(str(DATA / "comparison_v3.json"))
    assert stored.attribution is not None
    assert stored.attribution.nodes[0].key == "extra_conv7x7"
