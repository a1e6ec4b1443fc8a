"""The CI recipe of docs/ci.md ("A model zoo in CI"), run end to end on tiny real models:
a first run on an empty history, a constructed regression, an interrupted run resumed,
and a re-run of one entry with --select; the verdicts a user expects at each step."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.models import conv_model, save
from tests.processes import MARKER_TIMEOUT_S, checkout_env

SUITE = """
name = "zoo"
[defaults]
time = 1
gflops = 1          # the same declared cost, so a heavier model is the same configuration
[[models]]
model = "net.xml"
[[models]]
model = "other.xml"
time = 3
"""


#: Every process of the run (the suite, its entries) reads the machine as quiet: on a
#: loaded machine the entries fail the "other processes" check, are not appended to the
#: history, and the steps' verdicts would depend on the machine (the disturbed path has
#: tests of its own, in tests/suite/test_baseline.py).
QUIET = """import perfbench.system.checks as checks
checks.OTHER_CPU_PCT = checks.STEAL_PCT = 100.0
"""


def _env(tmp):
    site = tmp / "quiet-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(QUIET)
    env = checkout_env()
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    return env


def _suite(out, db, *extra, wait=True):
    command = [sys.executable, "-m", "perfbench", "suite", "zoo.toml", "--out", out,
               "--history", db, "-q", *extra]
    proc = subprocess.Popen(command, cwd=os.path.dirname(db),
                            env=_env(Path(os.path.dirname(db))),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return proc
    stdout, stderr = proc.communicate(timeout=600)
    return proc.returncode, stderr


def _doc(out):
    with open(os.path.join(out, "suite.json")) as handle:
        return json.load(handle)


def _rows(doc):
    return {r["name"]: r for r in (doc["baseline"] or {}).get("entries", [])}


def _history_rows(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def _gate_agrees(code, doc):
    assert doc["gate"]["exit_status"] == code, doc["gate"]


def test_the_ci_recipe_end_to_end(tmp_path):
    save(conv_model(), tmp_path / "net.xml")
    save(conv_model(), tmp_path / "other.xml")
    (tmp_path / "zoo.toml").write_text(SUITE)
    db = str(tmp_path / "history.db")

    # 1. the first run: an empty history, nothing to judge against, exit 0; both appended
    code, err = _suite("run1", db)
    doc = _doc(tmp_path / "run1")
    assert code == 0, err
    assert doc["baseline"]["no_history"] == ["net", "other"] and _history_rows(db) == 2
    _gate_agrees(code, doc)

    # 2. a constructed regression: net's model is 64 times the work (same inputs and
    #    declared cost: the same configuration), exit 1
    save(conv_model(filters=512), tmp_path / "net.xml")
    code, err = _suite("run2", db)
    doc = _doc(tmp_path / "run2")
    net = _rows(doc)["net"]
    assert net["ratio"]["ratio"] < 0.5, net
    assert (code, net["verdict"]) == (1, "regression"), err
    _gate_agrees(code, doc)
    appended = _history_rows(db)

    # 3. the fix, measured in a run interrupted once net is done, then resumed: net is
    #    kept, judged against the slow run before it (not against itself), and appended
    #    once; other runs on resume
    save(conv_model(), tmp_path / "net.xml")
    proc = _suite("run3", db, wait=False)
    out = tmp_path / "run3"
    deadline = time.monotonic() + MARKER_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if {e["name"]: e["status"] for e in _doc(out)["entries"]}["net"] == "ok":
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=MARKER_TIMEOUT_S)
    assert proc.returncode == 130, err
    interrupted = _doc(out)
    assert interrupted["status"] == "interrupted"
    before = _rows(interrupted)["net"]["ratio"]["ratio"]
    assert before > 2, interrupted["baseline"]            # against the slow run 2
    code, err = _suite("run3", db, "--resume")
    doc = _doc(out)
    # 1 or 3 only if other's noise (a loaded machine's windows) reads as a regression or
    # leaves its interval too wide: the gate's words must agree with it either way
    assert code in (0, 1, 3), err
    assert doc["status"] == "complete" and _rows(doc)["net"]["ratio"]["ratio"] == before
    assert _rows(doc)["net"]["verdict"] == "improvement"
    assert "other" in _rows(doc) and _history_rows(db) == appended + 2   # net once, other
    _gate_agrees(code, doc)

    # 4. one entry re-run as the summary advises (--select other, same --out): net keeps
    #    its record, the family is judged as it stands (two entries), nothing appended twice
    code, err = _suite("run3", db, "--select", "other")
    doc = _doc(out)
    assert code in (0, 1, 3), err
    assert [e["status"] for e in doc["entries"]] == ["ok", "ok"]
    assert {r["family_size"] for r in _rows(doc).values()} == {2}
    assert _rows(doc)["net"]["ratio"]["ratio"] == before and _history_rows(db) == appended + 3
    _gate_agrees(code, doc)
