"""The attribution arithmetic on blocks with known answers."""

import math
import random
import statistics

import pytest

from perfbench.stats.matching import Node, match
from perfbench.stats.attribution import Block, attribute, figure
from perfbench.stats.tdist import t_critical

BASE = [Node("x", "Input", originals=("x",)),
        Node("conv", "Convolution", "brgconv_f32", "f32", ("conv", "relu"), ("x",)),
        Node("pool", "Pooling", "jit", "f32", ("pool",), ("conv",))]
NEW = [Node("x", "Input", originals=("x",)),
       Node("conv", "Convolution", "brgconv_bf16", "bf16", ("conv",), ("x",)),
       Node("relu", "Eltwise", "jit", "bf16", ("relu",), ("conv",)),
       Node("pool", "Pooling", "jit", "f32", ("pool",), ("relu",)),
       Node("extra", "MatMul", "brgemm", "f32", ("extra",), ("pool",))]


def _blocks(times: list[dict], outside: list[float]) -> list[Block]:
    return [Block(100, sum(t.values()) + o, t) for t, o in zip(times, outside)]


def _pair(rounds=6, seed=0):
    rng = random.Random(seed)
    base = _blocks([{"conv": 2.0 + rng.gauss(0, .01), "pool": 1.0 + rng.gauss(0, .01)}
                    for _ in range(rounds)], [0.5 + rng.gauss(0, .01) for _ in range(rounds)])
    new = _blocks([{"conv": 2.5 + rng.gauss(0, .01), "relu": 0.2, "pool": 1.0 + rng.gauss(0, .01),
                    "extra": 0.3 + rng.gauss(0, .01)} for _ in range(rounds)],
                  [0.6 + rng.gauss(0, .01) for _ in range(rounds)])
    return base, new


def test_contributions_and_the_time_outside_the_counters_sum_exactly_to_the_total():
    base, new = _pair()
    result = attribute(match(BASE, NEW), BASE, NEW, base, new)
    rows = sum(r.figure.delta_ms for r in result.rows)
    assert rows + result.outside.delta_ms == pytest.approx(result.total.delta_ms, abs=1e-12)
    assert sum(r.figure.delta_ms for r in result.types) + result.outside.delta_ms == \
        pytest.approx(result.total.delta_ms, abs=1e-12)
    expected = statistics.fmean(n.time_ms for n in new) - statistics.fmean(b.time_ms for b in base)
    assert result.total.delta_ms == pytest.approx(expected)
    shares = result.to_dict()
    assert sum(r["share_pct"] for r in shares["nodes"]) + \
        shares["unattributed"]["outside_counters"]["share_pct"] == \
        pytest.approx(100 * expected / statistics.fmean(b.time_ms for b in base))


def test_a_synthetic_profile_gives_its_known_answers():
    """Per-inference times known by construction, the same in every round: BASE 3.5 ms
    (conv 2, pool 1, 0.5 outside the counters), NEW 4.6 ms (conv 2.5 with relu 0.2 as its
    own node, pool 1, extra 0.3, 0.6 outside).  Change 1.1 ms, 31.43 % of BASE: the conv
    group 0.7, extra 0.3, pool 0, outside 0.1; unattributed 0.4 (outside + unmatched)."""
    base = [Block(100, 3.5, {"conv": 2.0, "pool": 1.0})] * 4
    new = [Block(100, 4.6, {"conv": 2.5, "relu": 0.2, "pool": 1.0, "extra": 0.3})] * 4
    result = attribute(match(BASE, NEW), BASE, NEW, base, new)
    assert (result.total.base_ms, result.total.new_ms) == pytest.approx((3.5, 4.6))
    assert result.total.delta_ms == pytest.approx(1.1)
    assert result.outside.delta_ms == pytest.approx(0.1)
    rows = {r.key: r.figure.delta_ms for r in result.rows}
    assert rows == pytest.approx({"conv": 0.7, "extra": 0.3, "pool": 0.0})
    assert result.unmatched.delta_ms == pytest.approx(0.3)
    doc = result.to_dict()
    assert doc["total"]["share_pct"] == pytest.approx(100 * 1.1 / 3.5)
    assert doc["unattributed"]["outside_counters"]["share_pct"] == pytest.approx(100 * 0.1 / 3.5)


def test_the_known_cause_ranks_first_with_what_changed_in_it():
    base, new = _pair()
    result = attribute(match(BASE, NEW), BASE, NEW, base, new)
    top = result.rows[0]
    assert top.base_nodes == ("conv",) and top.new_nodes == ("conv", "relu")
    assert top.figure.delta_ms == pytest.approx(0.7, abs=0.02) and top.figure.beyond
    assert top.changes[0].startswith("fusion vanished")
    assert "precision f32 → bf16" in top.changes
    extra = next(r for r in result.rows if r.key == "extra")
    assert not extra.matched and extra.changes == ("only in NEW",)
    assert result.unmatched.delta_ms == pytest.approx(extra.figure.delta_ms)
    assert extra.figure.ratio is None               # no BASE time: no ratio
    pool = next(r for r in result.rows if r.key == "pool")
    assert pool.figure.ratio == pytest.approx(1.0, abs=0.03)
    assert result.types[0].key == "Convolution"
    assert next(r for r in result.types if r.key == "MatMul").changes == ("0 → 1 nodes",)


def test_intervals_are_paired_t_intervals_at_the_bonferroni_family_level():
    base, new = _pair(rounds=5)
    result = attribute(match(BASE, NEW), BASE, NEW, base, new, level=0.95)
    m = len(result.rows) + 1
    assert result.row_level == pytest.approx(1 - 0.05 / m)
    pool = next(r for r in result.rows if r.key == "pool").figure
    d = [n.nodes_ms["pool"] - b.nodes_ms["pool"] for b, n in zip(base, new)]
    half = t_critical(4, 1 - 0.05 / m) * statistics.stdev(d) / math.sqrt(5)
    assert (pool.low_ms, pool.high_ms) == pytest.approx((statistics.fmean(d) - half,
                                                         statistics.fmean(d) + half))
    logs = [math.log(n.nodes_ms["pool"] / b.nodes_ms["pool"]) for b, n in zip(base, new)]
    assert pool.ratio == pytest.approx(math.exp(statistics.fmean(logs)))
    assert result.total.level == 0.95


def test_a_timed_node_no_group_holds_still_counts_so_the_sum_holds():
    base = _blocks([{"conv": 2.0, "pool": 1.0, "ghost": 0.4}] * 2, [0.1, 0.1])
    new = _blocks([{"conv": 2.0, "relu": 0.1, "pool": 1.0, "extra": 0.1}] * 2, [0.1, 0.1])
    result = attribute(match(BASE, NEW), BASE, NEW, base, new)
    ghost = next(r for r in result.rows if r.key == "ghost")
    assert ghost.type == "unknown" and ghost.figure.delta_ms == pytest.approx(-0.4)
    assert sum(r.figure.delta_ms for r in result.rows) + result.outside.delta_ms == \
        pytest.approx(result.total.delta_ms)


def test_with_epochs_a_process_level_offset_is_inside_the_interval_not_a_cause():
    """Each pair of workers draws its own constant offset for a node (memory layout): the
    rounds of one epoch all agree, so a round-level interval calls it a change; over the
    epochs the interval is the spread of their means and includes 0."""
    offsets = [0.05, -0.04, 0.03, -0.05]
    epochs = [e for e in range(4) for _ in range(3)]
    base = [1.0 + 0.001 * (i % 3) for i in range(12)]
    new = [b + offsets[e] for b, e in zip(base, epochs)]
    over_rounds = figure(base[:3], new[:3], 0.95)
    assert over_rounds.beyond                       # one epoch alone: a false cause
    over_epochs = figure(base, new, 0.95, epochs)
    assert not over_epochs.beyond
    means = [statistics.fmean(new[3 * e:3 * e + 3]) - statistics.fmean(base[3 * e:3 * e + 3])
             for e in range(4)]
    half = t_critical(3, 0.95) * statistics.stdev(means) / 2
    assert over_epochs.delta_ms == pytest.approx(statistics.fmean(means))
    assert (over_epochs.low_ms, over_epochs.high_ms) == pytest.approx(
        (statistics.fmean(means) - half, statistics.fmean(means) + half))


def test_with_epochs_of_unequal_rounds_the_sum_still_holds():
    base, new = _pair(rounds=5)
    epochs = [0, 0, 0, 1, 1]
    result = attribute(match(BASE, NEW), BASE, NEW, base, new, epochs=epochs)
    assert result.epochs == 2 and result.to_dict()["interval_over"] == "epochs"
    assert sum(r.figure.delta_ms for r in result.rows) + result.outside.delta_ms == \
        pytest.approx(result.total.delta_ms, abs=1e-12)


def test_one_round_gives_figures_without_intervals():
    one = figure([1.0], [2.0], 0.95)
    assert one.delta_ms == 1.0 and one.low_ms is None and not one.beyond
    assert one.to_dict(1.0)["delta_ms"]["level"] is None and one.ratio == 2.0
    assert one.to_dict(1.0)["beyond_level"] is None     # not judged, not "within"


def test_a_simulated_a_a_flags_a_node_in_at_most_about_five_percent_of_runs():
    """No change anywhere: the family's chance of any interval excluding 0 is ≤ 5 %."""
    rng = random.Random(1)
    graph = [Node("x", "Input", originals=("x",))] + [
        Node(f"n{i}", "Convolution", originals=(f"n{i}",), inputs=("x",)) for i in range(20)]
    groups = match(graph, graph)
    flagged = 0
    runs = 400
    for _ in range(runs):
        sides = [_blocks([{f"n{i}": 1.0 + rng.gauss(0, 0.05) for i in range(20)}
                          for _ in range(5)], [0.2 + rng.gauss(0, .02) for _ in range(5)])
                 for _ in range(2)]
        result = attribute(groups, graph, graph, *sides)
        flagged += any(r.figure.beyond for r in result.rows) or result.outside.beyond
    assert flagged / runs <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / runs)


def test_a_huge_ratio_interval_stays_finite():
    """Two rounds at a strict family level: t with 1 dof is in the thousands."""
    wide = figure([1.0, 1.0], [1e-3, 1e3], 0.9999)
    assert math.isfinite(wide.ratio_low) and math.isfinite(wide.ratio_high)
    assert wide.ratio_low < 1 < wide.ratio_high


def test_unequal_rounds_are_refused():
    with pytest.raises(ValueError):
        attribute([], BASE, NEW, _pair()[0], _pair()[1][:2])
