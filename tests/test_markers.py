"""The fast first check (``-m "not slow"``, issue 24 item 13) stays what it says: the
marker is registered, the README gives the command, and the slow list names real tests."""

import ast
import tomllib
from pathlib import Path

from tests.conftest import SLOW_FIXTURES, SLOW_TESTS, is_slow
from tests.processes import CHECKOUT

ROOT = Path(CHECKOUT)


def _names(path: str) -> set[str]:
    """Top-level function names of a test module, read without importing it (some import
    Ray or start Chromium's driver)."""
    tree = ast.parse((ROOT / path).read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_listed_slow_test_and_fixture_exists():
    for nodeid in SLOW_TESTS:
        path, name = nodeid.split("::")
        assert name in _names(path), f"{nodeid} is not a test"
    for path, fixture in SLOW_FIXTURES.items():
        assert fixture in _names(path), f"{path} has no fixture {fixture!r}"


def test_slow_is_a_registered_marker_and_the_readme_gives_the_fast_check():
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    assert any(m.startswith("slow:") for m in pytest_options["ini_options"]["markers"])
    assert '-m "not slow"' in (ROOT / "README.md").read_text()


def test_parametrized_and_fixture_users_are_slow_but_others_not():
    assert is_slow("tests/runner/test_ab.py::test_run_options_for_the_api_and_scenario_apply_"
                   "to_both_sides[settings1]", [])
    assert is_slow("tests/report/test_browser.py::test_anything", ["made", "tmp_path"])
    assert not is_slow("tests/report/test_browser.py::test_pure", ["tmp_path"])
    assert not is_slow("tests/measure/test_loop.py::test_sync_api", ["compiled"])
