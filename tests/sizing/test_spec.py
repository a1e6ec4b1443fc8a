"""Grids users write: ranges as well as lists, and the sizing profile derived from this CPU."""

import pytest

from perfbench.errors import UsageError
from perfbench.sizing import spec as spec_module
from perfbench.sizing.spec import build_spec, grid_values


def test_ranges_and_lists_expand_to_the_values_they_name():
    assert grid_values("requests", "1..16", "--requests") == list(range(1, 17))
    assert grid_values("batch", ["1", "2", "4", "8"], "--batch") == [1, 2, 4, 8]
    assert grid_values("requests", ["1..16:x2"], "x") == [1, 2, 4, 8, 16]
    assert grid_values("requests", ["1..12:x2"], "x") == [1, 2, 4, 8, 12]   # end included
    assert grid_values("requests", ["1..2", "8"], "x") == [1, 2, 8]


def test_a_range_may_end_at_this_cpus_cores(monkeypatch):
    monkeypatch.setattr(spec_module, "cores", lambda: 6)
    assert grid_values("streams", "1..cores:x2", "p") == [1, 2, 4, 6]
    assert grid_values("requests", "1..2*cores:x2", "p") == [1, 2, 4, 8, 12]


@pytest.mark.parametrize("text", ["4..1", "0..4", "1..4:x1", "1..lots"])
def test_a_bad_range_is_one_line(text):
    with pytest.raises(UsageError) as caught:
        grid_values("requests", text, "--requests")
    assert "--requests" in str(caught.value) and "\n" not in str(caught.value)


def test_a_range_that_repeats_a_value_is_refused():
    with pytest.raises(UsageError, match="twice"):
        grid_values("requests", ["1..4", "2"], "--requests")


@pytest.mark.parametrize("count", [2, 8, 32])
def test_the_sizing_profile_covers_this_cpu(monkeypatch, count):
    monkeypatch.setattr(spec_module, "cores", lambda: count)
    spec, server = build_spec("sizing", {}, {}, {}, None)
    assert not server
    assert spec.grid["streams"][-1] == count and spec.grid["streams"][0] == 1
    assert spec.grid["requests"][-1] == 2 * count
    assert spec.grid["batch"] == [1, 2, 4, 8] and set(spec.grid["hint"]) == {
        "throughput", "latency"}
    assert spec.budget_s == 600
