"""The fast first check (``-m "not slow"``, issue 24 item 13) stays what it says: the
marker is registered, the README gives the command, and the slow list names real tests."""

import importlib
import tomllib
from pathlib import Path

from tests.conftest import SLOW_FIXTURES, SLOW_TESTS, is_slow
from tests.processes import CHECKOUT

ROOT = Path(CHECKOUT)


def _module(path: str):
    return importlib.import_module(path.removesuffix(".py").replace("/", "."))


def test_every_listed_slow_test_and_fixture_exists():
    for nodeid in SLOW_TESTS:
        path, name = nodeid.split("::")
        assert callable(getattr(_module(path), name, None)), f"{nodeid} is not a test"
    for path, fixture in SLOW_FIXTURES.items():
        assert hasattr(_module(path), fixture), f"{path} has no fixture {fixture!r}"


def test_slow_is_a_registered_marker_and_the_readme_gives_the_fast_check():
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    assert any(m.startswith("slow:") for m in pytest_options["ini_options"]["markers"])
    assert 'python -m pytest -q -m "not slow"' in (ROOT / "README.md").read_text()


def test_parametrized_and_fixture_users_are_slow_but_others_not():
    assert is_slow("tests/runner/test_ab.py::test_run_options_for_the_api_and_scenario_apply_"
                   "to_both_sides[settings1]", [])
    assert is_slow("tests/report/test_browser.py::test_anything", ["made", "tmp_path"])
    assert not is_slow("tests/report/test_browser.py::test_pure", ["tmp_path"])
    assert not is_slow("tests/measure/test_loop.py::test_sync_api", ["compiled"])
