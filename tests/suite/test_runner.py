"""The suite loop's budget: the time left spread over the entries left."""

from pathlib import Path

import pytest

from perfbench.suite.runner import SuiteRun, _cap, capped_settings
from perfbench.suite.spec import SuiteSpec


def test_capped_settings_bound_the_measuring_time():
    assert capped_settings({"time": 30.0}, 10.0, 30.0) == {"time": 10.0}
    assert capped_settings({"time": 5.0}, 10.0, 5.0) == {"time": 5.0}
    assert capped_settings({"until_stable": 1.0}, 10.0, 60.0) == {"until_stable": 1.0,
                                                                   "max_time": 10.0}
    assert capped_settings({"iterations": 10}, 10.0, None) == {"iterations": 10, "time": 10.0}
    assert capped_settings({"time": 30.0}, None, 30.0) == {"time": 30.0}


def test_the_budget_left_is_shared_by_the_entries_left():
    run = SuiteRun(SuiteSpec("s", "s.toml", []), Path("."), {}, budget_s=100.0, started=0.0)
    assert _cap(run, 4, lambda: 20.0) == pytest.approx(80 / 4 - 15)  # default overhead
    run.overheads = [4.0, 6.0]
    assert _cap(run, 2, lambda: 20.0) == pytest.approx(40 - 5)
    assert _cap(run, 2, lambda: 120.0) == 0.0
    assert _cap(SuiteRun(run.spec, Path("."), {}), 2, lambda: 0.0) is None
