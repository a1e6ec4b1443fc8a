import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.processes import CHECKOUT, MARKER_TIMEOUT_S
from perfbench.tracking import history
from perfbench.cli.main import main
from tests.models import synthetic_result


def test_append_and_series(tmp_path):
    db = str(tmp_path / "h.db")
    for fps in (100, 101, 99):
        history.append(db, synthetic_result([fps, fps]))
    history.append(db, synthetic_result([50, 50], status="interrupted"))
    history.append(db, synthetic_result([70, 70], threads=1))
    groups = history.series(db, "fps")
    assert len(groups) == 2                     # two configurations
    values = sorted(len(points) for points in groups.values())
    assert values == [1, 3]                     # the interrupted run is kept out of trends
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 5
    stored = json.loads(conn.execute("SELECT result FROM runs LIMIT 1").fetchone()[0])
    assert stored["results"]["fps"] == 100


def test_vcs_context_from_ci_environment(monkeypatch):
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    assert history.vcs_context() == {"git_commit": "abc123", "git_branch": "main",
                                     "ci_run_id": "42"}


WRITER = """
import os, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
from perfbench.tracking import history
from models import synthetic_result
barrier = sys.argv[2]
open(os.path.join(barrier, f"ready-{{os.getpid()}}"), "w").close()
while not os.path.exists(os.path.join(barrier, "go")):   # every writer opens the brand-new
    pass                                                 # file at the same instant
for i in range(50):
    history.append(sys.argv[1], synthetic_result([100 + i, 100 + i]))
"""


@pytest.mark.parametrize("writers", [2, 8])
def test_concurrent_writers_lose_no_row(tmp_path, writers):
    """Several processes create and fill the same new database at once (as parallel CI
    jobs do): every row arrives and no writer fails.  They start together when all are
    ready (a marker file each), not at a wall-clock instant that a slow import missed."""
    db = str(tmp_path / "shared.db")
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    script = WRITER.format(root=CHECKOUT, tests=os.path.join(CHECKOUT, "tests"))
    procs = [subprocess.Popen([sys.executable, "-c", script, db, str(barrier)])
             for _ in range(writers)]
    deadline = time.monotonic() + MARKER_TIMEOUT_S
    while len(list(barrier.glob("ready-*"))) < writers:
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.05)
    (barrier / "go").touch()
    assert [p.wait(timeout=MARKER_TIMEOUT_S) for p in procs] == [0] * writers
    count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    assert count == 50 * writers


def test_step_change_found_where_it_begins():
    values = [100, 101, 99, 100, 102, 100, 99, 101, 100, 100,
              90, 89, 91, 90, 90, 91, 89, 90]
    assert [i for i, _, _ in history.step_changes(values)] == [10]


def test_single_outlier_and_noise_are_not_steps():
    assert history.step_changes([100, 101, 99, 100, 70, 100, 101, 99, 100, 100]) == []
    assert history.step_changes([100, 103, 97, 102, 98, 101, 99, 103, 97, 100]) == []


def test_two_steps():
    values = [100] * 6 + [80] * 6 + [100] * 6
    values = [v + (i % 3 - 1) * 0.5 for i, v in enumerate(values)]
    assert [i for i, _, _ in history.step_changes(values)] == [6, 12]


def test_history_command_shows_step_with_commit(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "h.db")
    for i, fps in enumerate([100, 101, 99, 100, 100, 80, 81, 79, 80, 80]):
        monkeypatch.setenv("GITHUB_SHA", f"commit{i:02d}")
        history.append(db, synthetic_result([fps, fps]))
    assert main(["history", db, "--metric", "fps"]) == 0
    out = capsys.readouterr().out
    assert "commit05" in out and "-20.0 %" in out
    assert main(["history", db, "--metric", "latency"]) == 2
    assert main(["history", str(tmp_path / "missing.db")]) == 2


def test_run_appends_to_history(tiny_ir, tmp_path):
    db = tmp_path / "runs.db"
    assert main(["run", "-m", tiny_ir, "-n", "20", "-q", "--history", str(db)]) == 0
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_corrupt_database_is_a_clear_error(tmp_path, capsys):
    db = tmp_path / "bad.db"
    db.write_bytes(b"this is not sqlite" * 100)
    assert main(["history", str(db)]) == 2
    assert capsys.readouterr().err == f"perfbench: error: history: {db} is not an SQLite database\n"


def test_reading_never_writes_and_works_on_a_read_only_database(tmp_path, capsys):
    db = tmp_path / "h.db"
    for fps in (100, 101, 99):
        history.append(str(db), synthetic_result([fps, fps]))
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    before = db.read_bytes()
    db.chmod(0o444)
    assert main(["history", str(db)]) == 0
    assert db.read_bytes() == before
    assert "2026-11-25" in capsys.readouterr().out       # dates are shown


def test_foreign_sqlite_files_are_neither_read_nor_written(tmp_path, tiny_ir, capsys):
    foreign = tmp_path / "app.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    assert main(["history", str(foreign)]) == 2
    assert "another program's database (tables: users)" in capsys.readouterr().err
    assert main(["run", "-m", tiny_ir, "-n", "5", "-q", "--history", str(foreign)]) == 2
    assert "not a perfbench history" in capsys.readouterr().err
    assert foreign.read_bytes() == before


def test_history_refusals_before_measuring(tmp_path, tiny_ir, capsys):
    """A bad --history is found before the run (not after it, with the result lost)."""
    notdb = tmp_path / "notdb.sqlite"
    notdb.write_text("hello")
    assert main(["run", "-m", tiny_ir, "-t", "600", "-q", "--history", str(notdb)]) == 2
    assert capsys.readouterr().err == f"perfbench: error: --history: {notdb} is not an SQLite database\n"
    assert main(["history", str(tmp_path)]) == 2
    assert "is a directory, not a history database" in capsys.readouterr().err


def test_first_run_creates_the_history_directory(tmp_path, tiny_ir):
    """The CI workflow of docs/ci.md: perf-baseline/ does not exist on the first run."""
    db = tmp_path / "perf-baseline" / "history.db"
    assert main(["run", "-m", tiny_ir, "-n", "5", "-q", "--history", str(db)]) == 0
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_openvino_upgrade_stays_in_one_series_and_is_marked(tmp_path, capsys):
    """An upgrade that slows the model down is the step a history must show."""
    from perfbench.results import from_document
    from tests.models import synthetic_document
    db = str(tmp_path / "h.db")
    for i, fps in enumerate([100, 101, 99, 100, 100, 80, 81, 79, 80, 80]):
        document = synthetic_document([fps, fps])
        document["environment"]["openvino"] = "2025.4" if i < 5 else "2026.4"
        history.append(db, from_document(document, "test"))
    (points,) = history.series(db, "fps").values()
    assert len(points) == 10
    assert history.version_changes(points) == [(5, "2025.4", "2026.4")]
    assert main(["history", db]) == 0
    out = capsys.readouterr().out
    assert "-20.0 %" in out and "OpenVINO 2025.4 → 2026.4" in out


#: ``runs`` as perfbench wrote it before keys came from the settings table, with the key
#: that version computed for ``synthetic_result([100, 100])`` (seed 0).
_OLD_KEY = "d6d165cc46ce"


def _old_database(path, results):
    conn = sqlite3.connect(path)
    conn.executescript(history._SCHEMA)
    for result in results:
        conn.execute("INSERT INTO runs (recorded_at, status, config_key, benchmark, fps, p50, "
                     "p90, p99, gflops, environment, result) VALUES "
                     "(?, 'complete', ?, 'm', ?, 1, 1, 1, 1, '{}', ?)",
                     ("2026-01-01", _OLD_KEY, result.fps, json.dumps(result.to_dict())))
    conn.commit()
    conn.close()


def test_a_database_written_with_the_old_key_keeps_its_series(tmp_path):
    """Old rows and a new run of the same configuration are one series, and the first
    write migrates the stored keys to the ones computed from the settings table."""
    db = str(tmp_path / "old.db")
    old = synthetic_result([100.0, 100.0]).to_dict()
    old["config"]["requested"]["seed"] = 3       # another seed: the same configuration
    old["config"]["requested"].pop("api", None)   # a setting the old file did not have
    from perfbench.results import from_document
    _old_database(db, [synthetic_result([100.0, 100.0]), from_document(old, "old")])
    history.append(db, synthetic_result([101.0, 101.0]))
    (points,) = history.series(db, "fps").values()
    assert [p.value for p in points] == [100.0, 100.0, 101.0]
    conn = sqlite3.connect(db)
    keys = {row[0] for row in conn.execute("SELECT config_key FROM runs")}
    assert keys == {history.config_key(synthetic_result([101.0, 101.0]))} != {_OLD_KEY}


def test_settings_that_change_what_is_measured_split_series_and_others_do_not(tmp_path):
    db = str(tmp_path / "h.db")
    base = synthetic_result([100.0, 100.0]).to_dict()
    from perfbench.results import from_document
    for change in ({}, {"seed": 9}, {"sla_ms": 5.0}, {"time": 3.0}, {"pin": False},
                   {"api": "sync"}):
        doc = json.loads(json.dumps(base))
        doc["config"]["requested"].update(change)
        history.append(db, from_document(doc, "r"))
    sizes = sorted(len(points) for points in history.series(db, "fps").values())
    assert sizes == [1, 1, 4]          # seed, SLA and duration do not split; pin and API do


def test_the_last_run_is_judged_by_compares_rule(tmp_path, capsys):
    """Issue 24: the same rule as compare.  Runs at 100 ± 1 then one at 61: a regression;
    runs spread 60–140 then one at 90: the interval cannot exclude a regression beyond
    5 %, so inconclusive (never "no change"); steady runs and one at 100.5: no change."""
    def points(values):
        return [history.Point(i, "2026-11-25", v, None) for i, v in enumerate(values)]
    assert history.last_run_verdict(points([100, 101, 99, 100, 61]), "fps").verdict == \
        "regression"
    noisy = history.last_run_verdict(points([60, 140, 70, 130, 90]), "fps")
    assert noisy.verdict == "inconclusive" and noisy.ci_pct[0] < -30 and noisy.before == 4
    assert history.last_run_verdict(points([100, 101, 99, 100, 100.5]), "fps").verdict == \
        "no significant change"
    assert history.last_run_verdict(points([100, 101]), "fps") is None
    db = str(tmp_path / "h.db")
    for fps in (60, 140, 70, 130, 90):
        history.append(db, synthetic_result([fps, fps]))
    assert main(["history", db, "--metric", "fps"]) == 0
    assert "inconclusive" in " ".join(capsys.readouterr().out.split())
