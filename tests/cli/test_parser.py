"""The command line built from one module per command (``cli/commands/__init__.py`` lists
them; each owns its sub-parser and its run): it reads exactly as before, and a command
that needs no OpenVINO starts without loading it (issue 25 item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import cli_surface
from tests.processes import CHECKOUT

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "cli_now-surface.json"


def test_every_help_option_error_and_exit_status_reads_as_before(monkeypatch):
    """``tests/data/cli_now-surface.json`` was written by the code of 9f56079, where the
    options were declared in cli/parser.py and the commands dispatched from cli/main.py,
    and written again after the merges that added options on purpose, its diff checked
    to be those only: ab --control (and --epoch-s's default None), ab and suite
    --fidelity with its four tolerances, suite --attribute-out, sweep --min-top1-agreement
    and --min-sqnr; written again when ab's and suite's --attribute options were stated
    once for both (cli/ab_attribute_options.py): its diff is those three options' help
    words in the two commands' help, nothing declared changed; and again when ab's and
    suite's --epoch-s were stated once (cli/ab_epoch_option.py, suite's help losing ", as
    ab's") and sweep's --epoch-time became a default sized from earlier races: those two
    help texts, nothing declared changed."""
    monkeypatch.setenv("COLUMNS", cli_surface.COLUMNS)
    before = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(cli_surface.surface()))
    for part in ("declared", "help", "bad option"):
        assert now[part].keys() == before[part].keys(), part
        for name in before[part]:
            assert now[part][name] == before[part][name], (part, name)


RESULT = str(Path(__file__).resolve().parents[1] / "data" / "result_v3.json")
_LOADED = ("import sys\n"
           "from perfbench.cli.main import main\n"
           "status = main(sys.argv[1:])\n"
           "print('openvino loaded:', 'openvino' in sys.modules, file=sys.stderr)\n")


@pytest.mark.parametrize("argv", [["profiles"], ["compare", RESULT, RESULT],
                                  ["history", "no-such.db"],
                                  ["fleet", "report", RESULT],
                                  ["compare", RESULT]])
def test_a_command_that_needs_no_openvino_starts_without_it(argv, tmp_path):
    """A CI job that compares result files, or reads a history, may run where OpenVINO
    is not installed: only the chosen command's module is imported."""
    done = subprocess.run([sys.executable, "-c", _LOADED, *argv], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path,
                          env={"PYTHONPATH": str(CHECKOUT), "PATH": "/usr/bin:/bin"})
    assert done.stderr.splitlines()[-1] == "openvino loaded: False", done.stderr


def test_only_the_chosen_commands_module_is_imported():
    from perfbench.cli import commands, parser
    assert parser.chosen(["compare", "a.json", "b.json"]) == ["compare"]
    assert parser.chosen(["-q", "history", "db"]) == ["history"]
    assert parser.chosen(["save-model", "m.xml"]) == ["save_model"]
    assert parser.chosen(["export", "m.xml"]) == list(commands.COMMANDS)     # an alias
    assert parser.chosen(["--help"]) == list(commands.COMMANDS)
    assert parser.chosen(["bogus"]) == list(commands.COMMANDS)


@pytest.mark.parametrize("argv, released", [
    (["profiles"], True), (["history", "no-such.db", "--threshold", "x"], True),
    (["fleet", "report", "no-such.json"], True),
    (["sweep", "--resume"], False), (["ab", "a.xml", "b.xml", "--threshold", "x"], False),
    (["suite", "no-such.toml", "--out", "o"], False),
    (["fleet", "run", "--ray", "auto", "--out", "o", "--", "compare"], False)])
def test_only_the_commands_that_stop_on_a_signal_themselves_keep_it(argv, released,
                                                                    tmp_path, monkeypatch):
    """The others get Ctrl-C's default behaviour back once the program has started; a
    command that stops on a signal itself (keeping what it measured) keeps the start-up
    handler until it installs its own (fleet report reads files: it gives it back)."""
    import signal
    from perfbench import startup
    from perfbench.cli.main import main
    monkeypatch.chdir(tmp_path)
    saved = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        startup.take_signals()
        main(argv)
        assert (signal.getsignal(signal.SIGINT) is signal.default_int_handler) == released
    finally:
        signal.signal(signal.SIGINT, saved[0])
        signal.signal(signal.SIGTERM, saved[1])
