"""Fixtures: tiny real models, saved as IR where a test needs a file.

They compile and run on the real CPU plugin in milliseconds, so no test mocks OpenVINO.
"""

from __future__ import annotations

import os

import openvino as ov
import pytest
from hypothesis import settings

# In CI the property tests replay the same examples every time (a new counterexample is
# found on a developer's machine, where they explore); locally they explore.
# No deadline anywhere: hypothesis fails an example slower than 200 ms (250 ms while
# generating) as "DeadlineExceeded"/"Unreliable test timings", so one stall of the process
# on a busy or noisy VM failed a correct property test.  What they check is correctness.
settings.register_profile("local", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")

# The suite never writes into the user's caches (peaks, INT8 models); subprocesses inherit it.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
os.environ["PERFBENCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="perfbench-test-cache-")
atexit.register(shutil.rmtree, os.environ["PERFBENCH_CACHE_DIR"], ignore_errors=True)

from tests.models import conv_model, failing_model, save, slow_model, token_model


@pytest.fixture(autouse=True)
def own_ab_variance_cache(tmp_path, monkeypatch):
    """Each test its own A/B epoch-variance cache, in this process (A/B runs a test starts
    as a subprocess still share the session's PERFBENCH_CACHE_DIR; their assertions hold
    with or without a pooled process level).  Shared by the session, an earlier test's
    runs of the same tiny pair (as many epochs as the machine fitted in its time) gave a
    later one a pooled process level, so whether a 1-epoch run had an interval depended on
    test order and machine speed (`test_cli_ab_end_to_end_exit_code_matches_verdict` failed
    under load)."""
    monkeypatch.setattr("perfbench.runner.ab_cache.cache_path",
                        lambda: str(tmp_path / "ab-epoch-variance.json"))


@pytest.fixture(scope="session")
def core() -> ov.Core:
    return ov.Core()


@pytest.fixture(scope="session")
def tiny_ir(tmp_path_factory) -> str:
    return save(conv_model(), tmp_path_factory.mktemp("models") / "tiny.xml")


@pytest.fixture(scope="session")
def dynamic_ir(tmp_path_factory) -> str:
    return save(conv_model(batch=-1), tmp_path_factory.mktemp("models") / "dynamic.xml")


@pytest.fixture(scope="session")
def token_ir(tmp_path_factory) -> str:
    return save(token_model(), tmp_path_factory.mktemp("models") / "tokens.xml")


@pytest.fixture(scope="session")
def failing_ir(tmp_path_factory) -> str:
    return save(failing_model(), tmp_path_factory.mktemp("models") / "fails.xml")


@pytest.fixture(scope="session")
def slow_ir(tmp_path_factory) -> str:
    return save(slow_model(), tmp_path_factory.mktemp("models") / "slow.xml")


# --- the `slow` marker: `python -m pytest -q -m "not slow"` is the first check (README) ---
#: Tests that take seconds each on a loaded 2-core VM (pytest --durations=40, issue 24):
#: end-to-end runs of Ray clusters, Chromium, A/B workers, sweeps, suites and wheels.  A
#: new slow test takes ``@pytest.mark.slow`` itself; this list marks those measured so,
#: without touching their files.  tests/test_markers.py checks that every name exists.
SLOW_TESTS = frozenset("""
tests/cli/test_live.py::test_a_terminal_receives_the_live_view
tests/cli/test_sweep_command.py::test_a_server_search_where_no_rate_passes_says_so_and_fails
tests/cli/test_sweep_command.py::test_a_sweep_whose_file_could_not_be_written_exits_1
tests/cli/test_sweep_command.py::test_json_to_stdout_of_a_server_search_is_one_document
tests/measure/test_peak.py::test_peak_command_measures_and_caches
tests/measure/test_server.py::test_max_rate_search_brackets_the_answer
tests/runner/test_ab.py::test_a_stop_keeps_the_rounds_done_and_is_judged_at_the_interim_level
tests/runner/test_ab.py::test_cli_ab_end_to_end_exit_code_matches_verdict
tests/runner/test_ab.py::test_epochs_restart_workers_in_alternating_order_and_blocks_never_overlap
tests/runner/test_ab.py::test_run_options_for_the_api_and_scenario_apply_to_both_sides
tests/runner/test_benchmark.py::test_builtin_model_short_run
tests/runner/test_benchmark.py::test_steady_fps_and_its_interval_come_from_the_steady_windows
tests/runner/test_worker.py::test_a_worker_whose_parent_is_killed_exits_in_the_middle_of_its_block
tests/sizing/test_fleet_task.py::test_a_node_task_times_out_stops_its_benchmark_and_removes_its_directory
tests/sizing/test_fleet_run.py::test_a_suite_runs_on_every_node_and_each_suite_directory_comes_back
tests/sizing/test_race_run.py::test_a_worker_that_dies_is_dropped_and_the_race_goes_on_with_fresh_workers
tests/sizing/test_race_run.py::test_a_stop_mid_race_keeps_the_rounds_and_resume_goes_on
tests/cli/test_sweep_command.py::test_a_grid_is_raced_by_default_and_prints_process_level_intervals
tests/cli/test_sweep_command.py::test_ctrl_c_mid_race_keeps_the_rounds_and_resume_continues_the_race
tests/cli/test_suite_ci_recipe.py::test_the_ci_recipe_end_to_end
tests/sizing/test_sweep.py::test_budget_shortens_then_skips_on_the_sweeps_clock
tests/sizing/test_sweep.py::test_cli_sweep_files_and_plot
tests/sizing/test_sweep.py::test_interrupted_sweep_is_saved_and_resumable
tests/sizing/test_sweep.py::test_resume_skips_finished_points
tests/sizing/test_sweep.py::test_sweep_runs_every_point_and_recommends
tests/stats/test_sequential.py::test_a_suite_of_nine_a_a_entries_rarely_raises_any_false_regression
tests/suite/test_ab.py::test_suite_ab_end_to_end
tests/test_bad_input.py::test_cli_validation_never_crashes
tests/test_docs.py::test_the_python_api_example_runs
tests/tracking/test_history.py::test_concurrent_writers_lose_no_row
tests/tracking/test_verdict.py::test_real_results_compare_cleanly
""".split())
#: Module-scoped fixtures that measure or build for tens of seconds: every test using one
#: is slow (deselecting only the first would move the cost to the next).
SLOW_FIXTURES = {"tests/sizing/test_fleet_run.py": "scenario",
                 "tests/report/test_browser.py": "made",
                 "tests/cli/test_suite_command.py": "crashing",
                 "tests/test_packaging.py": "wheel"}


def is_slow(nodeid: str, fixturenames) -> bool:
    """Whether a collected test is one of the slow ones (by name, or by its fixture)."""
    path, _, name = nodeid.partition("::")
    if f"{path}::{name.split('[')[0]}" in SLOW_TESTS:
        return True
    return SLOW_FIXTURES.get(path) in fixturenames


def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item.nodeid, item.fixturenames):
            item.add_marker(pytest.mark.slow)
