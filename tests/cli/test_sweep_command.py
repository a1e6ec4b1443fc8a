"""`perfbench sweep` on the command line: what goes to stdout, and the server search's
answers, on a tiny real model."""

import json
import re

import pytest

from perfbench.cli.main import main


def test_a_server_search_where_no_rate_passes_says_so_and_fails(tiny_ir, tmp_path, capsys):
    """A bound of 1 µs is beyond any rate: it used to print "highest rate … 0.00/s" and
    exit 0, which a CI job reads as a pass."""
    out = tmp_path / "s.json"
    assert main(["sweep", "--scenario", "server", "-m", tiny_ir, "--sla-ms", "0.001",
                 "--point-time", "0.15", "-q", "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "no rate met p99 ≤ 0.001 ms" in text
    assert not re.search(r"(?<![\d,.])0\.00/s", text)     # not "highest rate … 0.00/s"
    data = json.loads(out.read_text())
    assert data["status"] == "complete" and data["rate"] is None
    assert data["trials"] and not any(t["passed"] for t in data["trials"])


def test_json_to_stdout_is_one_document_and_the_table_goes_to_stderr(tiny_ir, capsys):
    assert main(["sweep", "-m", tiny_ir, "--streams", "1,2", "--point-time", "0.5",
                 "--sequential", "-q", "--json", "-"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)       # exactly one JSON document, nothing else
    assert document["schema"] == "perfbench.sweep" and document["status"] == "complete"
    assert "best throughput" in captured.err


def test_json_to_stdout_of_a_server_search_is_one_document(tiny_ir, capsys):
    main(["sweep", "--scenario", "server", "-m", tiny_ir, "--sla-ms", "0.001",
          "--point-time", "0.15", "-q", "--json", "-"])
    captured = capsys.readouterr()
    assert json.loads(captured.out)["schema"] == "perfbench.server-search"
    assert "no rate met" in captured.err


@pytest.mark.parametrize("extra,message", [
    (["--streams", "1,2"], "a grid (streams)"),
    (["--csv", "s.csv"], "--csv"),
    (["--plot", "s.png"], "--plot")])
def test_a_server_search_refuses_what_it_would_ignore(tiny_ir, tmp_path, capsys, extra,
                                                      message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--scenario", "server", "-m", tiny_ir, "--sla-ms", "5",
                 "--point-time", "0.3", "-q", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("perfbench: error:")


def test_a_sweep_whose_file_could_not_be_written_exits_1(tiny_ir, tmp_path, monkeypatch):
    """Its points were saved in a fallback file, but not where asked: exit 1, as every
    other command (it was 0)."""
    import tempfile
    from perfbench.cli.main import main
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    target = tmp_path / "out" / "sweep.json"
    target.parent.mkdir()
    from perfbench.sizing import sweep as sweep_module
    real = sweep_module.write_json

    def failing(path, data):
        if path == str(target):
            raise OSError(28, "No space left on device")
        real(path, data)
    monkeypatch.setattr(sweep_module, "write_json", failing)
    assert main(["sweep", "-m", tiny_ir, "--streams", "1", "--point-time", "0.5", "-q",
                 "--sequential",            # in-process: the saving is what is tested
                 "--json", str(target)]) == 1


def test_a_grid_is_raced_by_default_and_prints_process_level_intervals(tiny_ir, tmp_path,
                                                                        capsys):
    out = tmp_path / "race.json"
    assert main(["sweep", "-m", tiny_ir, "--requests", "1,2", "--point-time", "0.5",
                 "--epoch-time", "0.1", "--no-confirm", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "process level counted" in text and "round-level" not in text
    assert "race (" in text and "confirmation A/B: skipped: --no-confirm" in text
    data = json.loads(out.read_text())
    assert data["mode"] == "race" and data["schema_version"] == 4
    assert len(data["race"]["epochs"]) >= 3
    assert all({"ratio", "low", "high", "level"} <= set(v) for v in data["vs_default"].values())


def test_ctrl_c_mid_race_keeps_the_rounds_and_resume_continues_the_race(tiny_ir, tmp_path):
    import signal
    import subprocess
    import sys
    from tests.processes import checkout_env, wait_for_marker
    out = tmp_path / "race.json"
    argv = ["sweep", "-m", tiny_ir, "--requests", "1,2", "--point-time", "0.5",
            "--epoch-time", "0.1", "--no-confirm", "--json", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", *argv, "-q", "-v"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=checkout_env())
    wait_for_marker(proc, "perfbench: race epoch 2 round 2/")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "continue the race with --resume" in stderr and "Traceback" not in stderr
    saved = json.loads(out.read_text())
    assert saved["status"] == "interrupted" and saved["race"]["status"] == "interrupted"
    kept = saved["race"]["epochs"]
    assert len(kept) == 2 and len(kept[1]["rounds"]) >= 1
    assert main([*argv, "-q", "--resume"]) == 0
    resumed = json.loads(out.read_text())
    assert resumed["race"]["epochs"][:2] == kept and resumed["status"] == "complete"


def test_a_race_whose_every_worker_failed_exits_1(tiny_ir, tmp_path, capsys, monkeypatch):
    """Every point's worker dies at its first block (real workers, killed): the race's
    status is failed, the file says so, and the command exits 1 on one line (it exited 0
    under a report of 'every point's worker failed')."""
    import functools

    from perfbench.runner.side import Side
    from perfbench.sizing import race_run

    class Dying(Side):
        def block(self, seconds, warmup, record=True):
            self.process.kill()
            self.process.wait(10)
            return super().block(seconds, warmup, record)
    monkeypatch.setattr("perfbench.cli.commands.sweep.run_race",
                        functools.partial(race_run.run_race, side=Dying))
    out = tmp_path / "s.json"
    assert main(["sweep", "-m", tiny_ir, "--requests", "1,2", "--json", str(out), "-q",
                 "--no-confirm", "--point-time", "1"]) == 1
    assert "perfbench: sweep failed: every point's worker failed" in capsys.readouterr().err
    data = json.loads(out.read_text())
    assert data["status"] == "failed" and data["race"]["status"] == "failed"


def test_json_to_stdout_of_a_race_is_one_document(tiny_ir, capsys):
    """A race saved itself to stdout at its end and again after the confirmation: two
    documents, "Extra data" for any reader (review)."""
    main(["sweep", "-m", tiny_ir, "--streams", "1,2", "--budget", "20s", "--no-confirm",
          "-q", "--json", "-"])
    document = json.loads(capsys.readouterr().out)     # exactly one JSON document
    assert document["schema"] == "perfbench.sweep" and document["mode"] == "race"
