"""The process-level cache: pooled by degrees of freedom, expiring, never fatal."""

import pytest

from perfbench.runner import ab_cache
from perfbench.stats.two_level import EpochVariance


@pytest.fixture
def own_ab_variance_cache():
    """These tests place the cache themselves (``cache_dir``): the real ``cache_path``."""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFBENCH_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_entries_pool_by_degrees_of_freedom(cache_dir):
    ab_cache.store("k", EpochVariance(4e-5, 3.0), now=1000.0)
    ab_cache.store("k", EpochVariance(1e-5, 9.0), now=1001.0)
    ab_cache.store("other", EpochVariance(1.0, 5.0), now=1001.0)
    pooled = ab_cache.load("k", now=1002.0)
    assert pooled.variance == pytest.approx((3 * 4e-5 + 9 * 1e-5) / 12)
    assert (pooled.dof, pooled.runs) == (12.0, 2)


def test_old_entries_expire_within_hours_and_few_are_kept(cache_dir):
    hour = 3600.0
    ab_cache.store("k", EpochVariance(1e-4, 5.0), now=0.0)
    assert ab_cache.load("k", now=(ab_cache.MAX_AGE_HOURS - 1) * hour) is not None
    assert ab_cache.load("k", now=(ab_cache.MAX_AGE_HOURS + 1) * hour) is None
    assert ab_cache.MAX_AGE_HOURS <= 12
    for i in range(ab_cache.MAX_ENTRIES + 5):
        ab_cache.store("k", EpochVariance(1e-5, 1.0), now=float(i))
    assert ab_cache.load("k", now=100.0).runs == ab_cache.MAX_ENTRIES


def test_an_unreadable_or_unwritable_cache_is_never_fatal(cache_dir):
    open(ab_cache.cache_path(), "w").write("{not json")
    assert ab_cache.load("k") is None
    ab_cache.store("k", EpochVariance(1e-5, 2.0))             # overwrites the bad file
    assert ab_cache.load("k").dof == 2.0
    blocked = cache_dir / "file"
    blocked.write_text("")
    import os
    os.environ["PERFBENCH_CACHE_DIR"] = str(blocked / "below-a-file")
    ab_cache.store("k", EpochVariance(1e-5, 2.0))             # no exception
    assert ab_cache.load("k") is None


def test_the_key_separates_machines_sides_settings_and_design():
    side = {"name": "m", "gflops_per_image": 1.0, "resolved": {"streams": 2}, "pool_size": 2}
    sides = {"base": side, "new": dict(side)}
    settings = {"base": {"batch": 1}, "new": {"batch": 1}}
    design = {"block_s": 0.1, "epoch_rounds": 40}
    key = ab_cache.cache_key("host/a", sides, settings, design)
    assert key == ab_cache.cache_key("host/a", sides, {"base": {"batch": 1, "time": 9},
                                                       "new": {"batch": 1}}, design)
    assert key != ab_cache.cache_key("host/b", sides, settings, design)
    assert key != ab_cache.cache_key("host/a", dict(sides, new=dict(side, name="n")),
                                     settings, design)                    # NEW counts too
    assert key != ab_cache.cache_key("host/a", sides, {"base": {"batch": 1},
                                                       "new": {"pin": False}}, design)
    assert key != ab_cache.cache_key("host/a", sides, settings, dict(design, epoch_rounds=20))


@pytest.mark.parametrize("entries", [
    [{"variance": 1e-4, "time": 1000.0}],                        # no dof
    [{"variance": -1.0, "dof": 3.0, "time": 1000.0}],            # negative variance
    [{"variance": "x", "dof": 3.0, "time": 1000.0}],
    [{"variance": 1e-4, "dof": float("nan"), "time": 1000.0}],
    {"not": "a list"},
])
def test_malformed_entries_are_ignored_not_fatal(cache_dir, entries):
    import json
    with open(ab_cache.cache_path(), "w") as handle:
        json.dump({"k": entries}, handle)
    assert ab_cache.load("k", now=1001.0) is None
    ab_cache.store("k", EpochVariance(4e-5, 3.0), now=1001.0)
    assert ab_cache.load("k", now=1002.0).dof == 3.0


def test_the_pooled_dof_is_capped(cache_dir):
    """Twenty runs of 7 dof are 140 dof; one cached figure serves many runs, so it is
    capped (MAX_DOF) and cannot set their intervals alone."""
    for i in range(20):
        ab_cache.store("k", EpochVariance(1e-4, 7.0), now=float(i))
    pooled = ab_cache.load("k", now=30.0)
    assert pooled.dof == ab_cache.MAX_DOF <= 30 and pooled.variance == pytest.approx(1e-4)


def test_the_machine_is_this_boot_of_this_cpu_model():
    one = ab_cache.machine_identity("host/a", "EPYC 7763", "boot-1")
    assert one != ab_cache.machine_identity("host/a", "EPYC 7763", "boot-2")
    assert one != ab_cache.machine_identity("host/a", "Xeon 8480", "boot-1")
    assert "boot" in ab_cache.machine_identity("host/a", "EPYC 7763")   # this boot's id


def test_block_lengths_snap_to_a_grid_so_the_key_matches_again():
    """Two runs of a slow model measure 0.1281 s and 0.1309 s blocks: one grid length,
    one key (lengths either side of a grid point still part).  The grid never shortens a
    block."""
    snapped = [ab_cache.snap_block_s(x) for x in (0.1281, 0.1309)]
    assert snapped[0] == snapped[1] == pytest.approx(0.15625)
    assert ab_cache.snap_block_s(0.05) == 0.1 and ab_cache.snap_block_s(0.1) == 0.1
    for x in (0.11, 0.3, 0.999, 2.5):
        assert x <= ab_cache.snap_block_s(x) < 1.25 * x + 1e-12
    side = {"name": "m"}
    keys = {ab_cache.cache_key("h", {"base": side, "new": side}, {},
                               {"block_s": ab_cache.snap_block_s(x), "epoch_rounds": 6})
            for x in (0.1281, 0.1309, 0.14)}
    assert len(keys) == 1


def test_components_pool_by_degrees_of_freedom_and_keep_the_last_design(cache_dir):
    """The dimensioning components: variances pooled by dof, costs averaged, the last
    run's rounds per epoch as the incumbent; kept apart from the epoch variances."""
    from perfbench.stats.two_level import VarianceComponents
    ab_cache.store_components("d", VarianceComponents(4e-3, 2.0, 1e-4), 2.0, 0.3, 39,
                              now=1000.0)
    ab_cache.store_components("d", VarianceComponents(1e-3, 6.0, 4e-4), 4.0, 0.5, 16,
                              now=1001.0)
    known = ab_cache.load_components("d", now=1002.0)
    assert known.components.round_var == pytest.approx((2 * 4e-3 + 6 * 1e-3) / 8)
    assert known.components.process_var == pytest.approx((2 * 1e-4 + 6 * 4e-4) / 8)
    assert (known.components.setup_s, known.components.round_s) == (3.0, 0.4)
    assert (known.dof, known.runs, known.last_rounds) == (8.0, 2, 16)
    assert ab_cache.load("d", now=1002.0) is None          # not an epoch variance
    hour = 3600.0
    assert ab_cache.load_components("d", now=1000.0 + (ab_cache.MAX_AGE_HOURS + 1) * hour) \
        is None


def test_the_process_variance_is_pooled_before_it_is_clamped(cache_dir):
    """Review (issue 29): each run's σ_b² clamped at 0 and then pooled overstates the
    process level (a mean of max(X, 0) exceeds max(mean X, 0)), and every design chosen
    from it.  Runs store their signed excess; the pool clamps once.  Known answers: +3e-4
    and −1e-4 at 2 dof each pool to 1e-4, where clamped first they gave 1.5e-4; a pool
    whose signed mean is below 0 reads 0."""
    from perfbench.stats.two_level import VarianceComponents
    for excess, now in ((3e-4, 1000.0), (-1e-4, 1001.0)):
        ab_cache.store_components("d", VarianceComponents(1e-3, 2.0, excess), 1.0, 0.3, 10,
                                  now=now)
    assert ab_cache.load_components("d", now=1002.0).components.process_var == \
        pytest.approx(1e-4)
    for excess in (-3e-4, 1e-4):
        ab_cache.store_components("e", VarianceComponents(1e-3, 2.0, excess), 1.0, 0.3, 10,
                                  now=1000.0)
    assert ab_cache.load_components("e", now=1002.0).components.process_var == 0.0


def test_a_run_hands_on_its_process_variance_before_the_clamp():
    """Epochs that agree better than their rounds predict: the clamped figure is 0, the
    excess it stores for the pool is negative (the same split, before the clamp)."""
    from perfbench.stats.two_level import variance_components
    base = [0.01 * ((-1) ** r) for r in range(10)]       # rounds spread ±1 %
    measured = variance_components([base, base, base, base], ["base", "new"] * 2)
    assert measured.process_var == 0.0 and measured.process_excess < 0


@pytest.mark.parametrize("entry", [{"time": 1.0}, {"time": 1.0, "dof": 2, "round_var": -1,
                                                    "process_excess": 0, "setup_s": 1,
                                                    "round_s": 0.1, "rounds": 6},
                                   {"time": 1.0, "dof": 2, "round_var": 1e-3,
                                    "process_excess": 0, "setup_s": 1, "round_s": 0,
                                    "rounds": 6}])
def test_malformed_components_are_ignored(cache_dir, entry):
    import json
    (cache_dir / "ab-epoch-variance.json").write_text(json.dumps({"d": [entry]}))
    assert ab_cache.load_components("d", now=2.0) is None


def test_the_components_key_is_the_models_and_block_length_not_the_epoch_length():
    sides = {"base": {"name": "a"}, "new": {"name": "b"}}
    settings = {"base": {}, "new": {}}
    key = ab_cache.components_key("m", sides, settings, 0.1)
    assert key == ab_cache.components_key("m", sides, settings, 0.1)
    assert key != ab_cache.components_key("m", sides, settings, 0.125)
    assert key != ab_cache.cache_key("m", sides, settings, {"block_s": 0.1,
                                                            "epoch_rounds": 39})


def test_controls_in_force_are_another_design():
    sides, settings = {"base": {"name": "a"}, "new": {"name": "b"}}, {"base": {}, "new": {}}
    plain = ab_cache.components_key("m", sides, settings, 0.1)
    assert plain == ab_cache.components_key("m", sides, settings, 0.1, {})
    assert plain != ab_cache.components_key("m", sides, settings, 0.1,
                                            {"controls": ["thp-off"]})


def test_entries_of_releases_that_stored_the_clamped_figure_are_not_pooled(cache_dir):
    """Before c796657 a run stored σ_b² clamped at 0 as ``process_var``; pooled with
    the signed excesses it would bias the pool up.  Such an entry is passed over, and an
    entry of ours holds no ``process_var`` for an earlier release to misread."""
    import json
    from perfbench.stats.two_level import VarianceComponents
    old = {"time": 1000.0, "dof": 2, "round_var": 1e-3, "process_var": 9e-4, "setup_s": 1,
           "round_s": 0.3, "rounds": 10}
    (cache_dir / "ab-epoch-variance.json").write_text(json.dumps({"d": [old]}))
    assert ab_cache.load_components("d", now=1002.0) is None
    ab_cache.store_components("d", VarianceComponents(1e-3, 2.0, -1e-4), 1.0, 0.3, 10,
                              now=1001.0)
    assert ab_cache.load_components("d", now=1002.0).components.process_var == 0.0
    stored = json.loads((cache_dir / "ab-epoch-variance.json").read_text())["d"]
    assert [sorted(e) for e in stored] == [sorted(ab_cache._COMPONENT_FIELDS)]


def test_a_race_key_is_its_grid_its_block_and_the_model_file_as_it_is(tmp_path):
    """Review (issue 29, L3): the race key held the model by its path alone, so another
    model saved there pooled with the old one's components."""
    model = tmp_path / "m.xml"
    model.write_text("<net/>")
    (tmp_path / "m.bin").write_bytes(b"\0" * 8)
    points = {"default": {"model": str(model)}, "streams=2": {"model": str(model),
                                                              "streams": 2}}

    def key(grid=points, block_s=0.1):
        return ab_cache.race_components_key("m", grid, "2026.4", block_s)
    before = key()
    assert key() == before
    assert key(block_s=0.125) != before
    assert key({"default": points["default"]}) != before
    (tmp_path / "m.bin").write_bytes(b"\1" * 16)          # new weights, the same path
    resized = key()
    assert resized != before
    import os
    stat = os.stat(model)
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10 ** 9))   # the graph, saved again
    assert key() != resized
    assert key({"default": {"model": "builtin"}}) != key({"default": {"model": "other"}})


@pytest.mark.parametrize("seconds", [0.1, 0.12, 0.125, 0.3, 1.7, 9.99])
def test_a_block_snapped_down_is_the_grid_length_at_or_below_it(seconds):
    """A block a budget shortened is snapped down (never above what fits the budget), an
    unbounded one up; both land on the grid the keys use."""
    down, up = ab_cache.snap_block_down_s(seconds), ab_cache.snap_block_s(seconds)
    assert down <= seconds <= up
    assert ab_cache.snap_block_s(down) == down
    assert down == up or up == pytest.approx(down * ab_cache.BLOCK_GRID)
    assert ab_cache.snap_block_down_s(0.05) == 0.05


def test_a_stored_grid_length_snaps_to_itself():
    """A grid length is stored rounded to 6 decimals, a hair above or below the grid; it
    snapped one step up (0.244141 → 0.305176), so a race's block, checked for being on
    the grid before its components are stored, never was."""
    for k in range(40):
        length = ab_cache.snap_block_s(0.1 * 1.25 ** k)
        assert ab_cache.snap_block_s(length) == length == ab_cache.snap_block_down_s(length)
