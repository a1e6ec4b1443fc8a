"""The suite loop's budget: the time left spread over the entries left."""

import sys
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


def test_a_budget_caps_the_entry_not_each_trial():
    """repeat=3 and a 20 s cap measured 3 × 5 s... then each later entry overran by the
    repeat count (issue 30, item 14)."""
    assert capped_settings({"time": 30.0, "repeat": 3}, 15.0, 30.0) == {"time": 5.0,
                                                                       "repeat": 3}
    assert capped_settings({"until_stable": 1.0, "repeat": 2}, 10.0, 60.0)["max_time"] == 5.0
    assert capped_settings({"time": 4.0, "repeat": 3}, 15.0, 4.0) == {"time": 4.0,
                                                                     "repeat": 3}


def _spec(tmp_path):
    from perfbench.suite.spec import load_suite
    path = tmp_path / "s.toml"
    path.write_text('[defaults]\niterations = 10\n[matrix]\nhint = ["throughput", '
                    '"latency"]\n[[models]]\nmodel = "builtin"\n')
    return load_suite(str(path))


def test_select_in_a_used_directory_keeps_the_records_it_leaves_out(tmp_path):
    """`--select NAME` in the same --out, as the summary advises, dropped the others from
    suite.json (their files still there): the family was judged with one entry (issue 30,
    item 9).  A selected entry runs again; one left out keeps its record, failed or ok."""
    from perfbench.suite.document import document, pending_record
    from perfbench.suite.runner import start
    spec = _spec(tmp_path)
    (tmp_path / "builtin.throughput.json").write_text("{}")
    previous = document("s", [
        dict(pending_record(spec.entries[0]), status="ok", file="builtin.throughput.json"),
        dict(pending_record(spec.entries[1]), status="failed", message="broke")])
    run = start(spec, str(tmp_path), previous, selected={"builtin.latency"}, resume=False)
    assert run.kept == {"builtin.throughput"}
    assert run.records["builtin.throughput"]["status"] == "ok"
    assert run.records["builtin.latency"]["status"] == "pending"
    run = start(spec, str(tmp_path), previous, selected={"builtin.throughput"}, resume=False)
    assert run.kept == {"builtin.latency"}
    assert run.records["builtin.latency"]["message"] == "broke"
    changed = document("s", [dict(previous.entries[0].record(), settings={"iterations": 99})])
    run = start(spec, str(tmp_path), changed, selected={"builtin.latency"}, resume=False)
    assert run.kept == set()                      # its settings changed: not its record


def test_a_suite_json_that_cannot_be_written_does_not_stop_the_suite(tmp_path, capsys,
                                                                     monkeypatch):
    """On a full disk `run.save()` raised OSError: a traceback, entry 2 never ran, and
    --json was not written (issue 30, item 5).  suite.json here is /dev/full."""
    import json
    import tempfile
    import threading
    from perfbench.suite.runner import run_suite, start
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    (out / "suite.json").symlink_to("/dev/full")
    spec = _spec(tmp_path)
    ran = []

    def command(profile, result):
        ran.append(result)
        return [sys.executable, "-c", "pass"]
    run = start(spec, str(out), None)
    run.save()
    run_suite(run, set(spec.names()), threading.Event(), command_for=command)
    assert len(ran) == 2 and run.file.failed
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(err) == 1 and "No space left on device" in err[0] and "goes on" in err[0]
    saved = json.loads(open(run.file.fallback).read())
    assert [e["status"] for e in saved["entries"]] == ["failed", "failed"]


def test_an_entry_whose_settings_cannot_be_written_fails_alone(tmp_path):
    import threading
    from perfbench.suite.runner import run_suite, start
    out = tmp_path / "out"
    out.mkdir()
    (out / ".settings").symlink_to("/dev/full")
    spec = _spec(tmp_path)
    run = start(spec, str(out), None)
    run_suite(run, set(spec.names()), threading.Event())
    assert all(r["status"] == "failed" and r["message"].startswith("could not write")
               for r in run.records.values())
