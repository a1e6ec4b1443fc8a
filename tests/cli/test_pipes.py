"""A reader that closes the pipe early (``| head -1``, ``| true``) must never cost a result.

Real subprocesses whose stdout is a real pipe: either closed before perfbench writes a
byte (``| true``: every write fails with EPIPE, so the outcome is certain), or closed after
the first line was read (``| head -1``: whether a later write fails depends on how much
the pipe buffer held, so either exit status is allowed, but the files never depend on it).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from perfbench.cli.pipes import EXIT_BROKEN_PIPE, GuardedStream
from tests.models import synthetic_document
from tests.processes import checkout_env
from tests.results.test_io import V1_FILE

ENV = checkout_env()


def _closed_early(args: list[str], read_first_line: bool) -> tuple[int, str]:
    """Run ``perfbench ARGS`` with stdout a pipe whose read end is closed at once (``|
    true``) or after one line (``| head -1``); exit status and stderr."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", *args], stdout=write_end,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        if read_first_line:
            reader.readline()
    _, stderr = proc.communicate(timeout=300)
    return proc.returncode, stderr


def _check(code: int, stderr: str, read_first_line: bool) -> None:
    assert code in ((0, EXIT_BROKEN_PIPE) if read_first_line else (EXIT_BROKEN_PIPE,)), stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


@pytest.mark.parametrize("read_first_line", [False, True], ids=["true", "head-1"])
def test_run_writes_json_and_history_when_stdout_is_closed(tiny_ir, tmp_path,
                                                           read_first_line):
    """Before: ``run … --json F --history DB | true`` exited 1 with neither file written
    (rich turned the broken pipe into SystemExit while the table printed, before any file
    was written)."""
    for attempt in range(2):
        out, db = tmp_path / f"r{attempt}.json", tmp_path / f"h{attempt}.db"
        code, stderr = _closed_early(["run", "-m", tiny_ir, "-q", "-n", "200", "--json",
                                      str(out), "--history", str(db)], read_first_line)
        _check(code, stderr, read_first_line)
        assert json.loads(out.read_text())["results"]["completed_requests"] == 200
        assert db.stat().st_size > 0


def test_run_with_json_on_a_closed_stdout_exits_quietly(tiny_ir):
    code, stderr = _closed_early(["run", "-m", tiny_ir, "-q", "-n", "50", "--json", "-"],
                                 read_first_line=False)
    _check(code, stderr, read_first_line=False)
    assert "FPS" in stderr              # the table went to stderr, which still works


def test_data_shapes_json_is_written_when_stdout_is_closed(dynamic_ir, tmp_path):
    out = tmp_path / "shapes.json"
    code, stderr = _closed_early(["run", "-m", dynamic_ir, "-q", "-n", "50", "--data-shape",
                                  "[1,32,32,3][2,32,32,3]", "--json", str(out)], False)
    _check(code, stderr, False)
    assert len(json.loads(out.read_text())["results"]) == 2


@pytest.mark.parametrize("read_first_line", [False, True], ids=["true", "head-1"])
def test_compare_writes_its_files_when_stdout_is_closed(tmp_path, read_first_line):
    markdown, out = tmp_path / "c.md", tmp_path / "c.json"
    code, stderr = _closed_early(["compare", str(V1_FILE), str(V1_FILE), "--markdown",
                                  str(markdown), "--json", str(out)], read_first_line)
    # V1_FILE was measured on a disturbed machine (window CV 16 %): compared with itself
    # it is inconclusive, and that status (3) says more than the cut-off pipe, as a
    # regression's 1 does below.
    assert code == 3 and "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert json.loads(out.read_text())["outcome"] == "inconclusive"
    assert json.loads(out.read_text())["schema"] == "perfbench.comparison"
    assert "|" in markdown.read_text()


def test_a_regression_keeps_exit_1_when_stdout_is_closed(tmp_path):
    """The command's own non-zero status says more than the pipe: a CI gate still fails
    as a regression, not as a cut-off output."""
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(json.dumps(synthetic_document([100.0, 101.0, 99.0])))
    new.write_text(json.dumps(synthetic_document([50.0, 51.0, 49.0])))
    code, stderr = _closed_early(["compare", str(base), str(new), "--json",
                                  str(tmp_path / "c.json")], read_first_line=False)
    assert code == 1 and "Traceback" not in stderr, stderr
    assert json.loads((tmp_path / "c.json").read_text())["regression"] is True


def test_info_json_is_written_when_stdout_is_closed(tmp_path):
    out = tmp_path / "info.json"
    code, stderr = _closed_early(["info", "--json", str(out)], read_first_line=False)
    _check(code, stderr, False)
    assert json.loads(out.read_text())


class _Reader(io.StringIO):
    """A stream whose reader went away after ``limit`` writes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, text: str) -> int:
        if self.limit <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.limit -= 1
        return super().write(text)

    def fileno(self) -> int:
        raise io.UnsupportedOperation("no descriptor")


def test_a_broken_stream_swallows_later_writes_and_remembers_it():
    stream = GuardedStream(_Reader(limit=1))
    stream.write("first\n")
    assert not stream.broken
    stream.write("second\n")
    stream.write("third\n")
    stream.flush()
    assert stream.broken and stream.getvalue() == "first\n"
