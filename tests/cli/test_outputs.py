"""Where a command's files went: every command names them on one line (issue 24, item 11)."""

import json

from perfbench.cli import outputs
from perfbench.cli.main import main
from tests.models import synthetic_document


def test_write_all_names_each_written_file_once_the_command_is_done(tmp_path, capsys):
    written = tmp_path / "a.json"
    steps = [("--json", str(written), lambda: written.write_text("{}")),
             ("--history", None, lambda: None),                   # not asked for
             ("--markdown", "-", lambda: None)]                   # stdout: not a file
    assert outputs.write_all(steps, "result", lambda path: None, "the result")
    assert capsys.readouterr().err == ""                         # not before the report
    outputs.announce()
    assert capsys.readouterr().err == f"perfbench: wrote --json {written}\n"
    outputs.announce()                                           # forgotten once named
    assert capsys.readouterr().err == ""


def test_a_failed_output_names_the_fallback_as_written(tmp_path, capsys, monkeypatch):
    fallback = tmp_path / "fallback.json"
    monkeypatch.setattr(outputs, "fallback_path", lambda kind: str(fallback))

    def fail():
        raise OSError(28, "No space left on device")
    assert not outputs.write_all([("--json", "x.json", fail)], "result",
                                 lambda path: fallback.write_text("{}"), "the result")
    outputs.announce()
    err = capsys.readouterr().err
    assert "could not write --json x.json: No space left on device" in err
    assert err.endswith(f"perfbench: wrote fallback {fallback}\n")


def test_compare_says_where_it_wrote_its_files(tmp_path, capsys):
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(json.dumps(synthetic_document([100.0, 101.0, 99.0])))
    new.write_text(json.dumps(synthetic_document([100.5, 100.0, 99.5])))
    out, md = tmp_path / "cmp.json", tmp_path / "cmp.md"
    main(["compare", str(base), str(new), "--json", str(out), "--markdown", str(md)])
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"perfbench: wrote --json {out}, --markdown {md}"   # the door's order
    assert out.is_file() and md.is_file()


def test_a_command_names_only_its_own_files(tmp_path, capsys):
    """A write recorded outside a command (the API, an earlier call) is not named by the
    next command run in the same process."""
    outputs.wrote("--json", "stale.json")
    assert main(["info", "--json", str(tmp_path / "info.json")]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == \
        f"perfbench: wrote --json {tmp_path / 'info.json'}"


def test_a_fallback_that_cannot_be_written_either_is_one_line(tmp_path, monkeypatch, capsys):
    """$TMPDIR on the same full disk: the fallback's OSError was a traceback (review)."""
    from perfbench.cli import outputs
    (tmp_path / "full.json").symlink_to("/dev/full")
    monkeypatch.setattr(outputs, "fallback_path", lambda kind: str(tmp_path / "full.json"))

    def fail():
        raise OSError(28, "No space left on device")

    def save(path):
        with open(path, "w") as handle:
            handle.write("{}")
            handle.flush()
    assert not outputs.write_all([("--json", "x.json", fail)], "result", save, "the result")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nor the fallback" in err
