"""``perfbench suite`` end to end on tiny real models: crash isolation, resume, select,
exit codes, and bad input (one line, exit 2, nothing run)."""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from perfbench.cli.commands.suite import exit_status
from perfbench.results.suite import ABBlock, BaselineBlock, Summary, SuiteDocument
from tests.processes import checkout_env


def _suite(tmp_path, body, name="s.toml"):
    path = tmp_path / name
    path.write_text(body)
    return str(path)


def _perfbench(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "perfbench", *args], capture_output=True,
                          text=True, timeout=timeout, env=checkout_env())


def _entries(out):
    with open(os.path.join(out, "suite.json")) as handle:
        doc = json.load(handle)
    return doc, {e["name"]: e for e in doc["entries"]}


@pytest.fixture(scope="module")
def crashing(tiny_ir, failing_ir, tmp_path_factory):
    """A suite whose second entry fails at runtime and third hangs past its limit."""
    tmp = tmp_path_factory.mktemp("suite")
    suite = _suite(tmp, f"""
        name = "crash"
        [defaults]
        iterations = 200
        [[models]]
        model = "{tiny_ir}"
        name = "first"
        [[models]]
        model = "{failing_ir}"
        [[models]]
        model = "{tiny_ir}"
        name = "hang"
        time = 600
        iterations = 100000000
        time_limit = 2
        [[models]]
        model = "{tiny_ir}"
        name = "last"
    """)
    out = str(tmp / "out")
    done = _perfbench("suite", suite, "--out", out, "--markdown", str(tmp / "s.md"),
                      "--csv", str(tmp / "s.csv"))
    return done, out, suite, tmp


def test_a_crash_and_a_hang_fail_only_their_entries(crashing):
    done, out, _, _ = crashing
    assert done.returncode == 1, done.stderr
    doc, entries = _entries(out)
    assert doc["schema"] == "perfbench.suite" and doc["status"] == "complete"
    assert {n: e["status"] for n, e in entries.items()} == {
        "first": "ok", "fails": "failed", "hang": "timeout", "last": "ok"}
    assert "Reshape" in entries["fails"]["message"]
    assert entries["hang"]["message"].startswith("timed out after 2 s")
    assert doc["summary"] == {"entries": 4, "ok": 2, "failed": 2, "skipped": 0, "pending": 0,
                              "geomean_fps": pytest.approx(
                                  (entries["first"]["headline"]["fps"]["value"] *
                                   entries["last"]["headline"]["fps"]["value"]) ** 0.5)}


def test_the_suite_json_reads_back_as_the_typed_document_it_was(crashing):
    """Issue 25: the document a real suite wrote is a SuiteDocument; what it reads is
    what it writes, byte for byte."""
    from perfbench.files import json_text
    from perfbench.results import load_document
    _, out, _, _ = crashing
    path = os.path.join(out, "suite.json")
    doc = load_document(path)
    assert isinstance(doc, SuiteDocument) and SuiteDocument.from_dict(doc.to_dict()) == doc
    assert json_text(doc.to_dict()) == open(path).read()
    assert doc.entry("first").headline.fps.value > 0 and doc.gate.exit_status == 1


def test_headline_comes_from_the_entrys_result(crashing):
    from perfbench.results import load
    from perfbench.results.metrics import fps_estimate, value_of
    _, out, _, _ = crashing
    _, entries = _entries(out)
    result = load(os.path.join(out, entries["first"]["file"]))
    h = entries["first"]["headline"]
    assert (h["fps"]["value"], h["fps"]["low"], h["fps"]["high"]) == fps_estimate(result)
    assert h["p99_ms"] == value_of(result, "p99") and h["compile_ms"] == result.compile_ms
    assert h["peak_rss_mb"] > 10 and h["precision"] in ("f32", "bf16", "f16")


def test_markdown_and_csv_list_every_entry(crashing):
    _, _, _, tmp = crashing
    md = (tmp / "s.md").read_text()
    assert "| first | ok |" in md and "hang: timeout: timed out" in md
    assert (tmp / "s.csv").read_text().count("\n") == 5


def test_resume_keeps_unchanged_entries_and_reruns_changed_ones(crashing, tiny_ir):
    _, out, suite, tmp = crashing
    before = os.path.getmtime(os.path.join(out, "first.json"))
    changed = _suite(tmp, f"""
        name = "crash"
        [defaults]
        iterations = 200
        [[models]]
        model = "{tiny_ir}"
        name = "first"
        [[models]]
        model = "{tiny_ir}"
        name = "last"
        batch = 2
    """, "changed.toml")
    done = _perfbench("suite", changed, "--out", out, "--resume")
    assert done.returncode == 0, done.stderr
    assert "1 entries kept" in done.stderr
    assert "dropped): fails, hang" in done.stderr and "re-run: last" in done.stderr
    doc, entries = _entries(out)
    assert list(entries) == ["first", "last"] and doc["status"] == "complete"
    assert os.path.getmtime(os.path.join(out, "first.json")) == before
    assert entries["last"]["settings"]["batch"] == 2


def test_select_runs_a_subset_and_marks_the_rest_skipped(tiny_ir, tmp_path):
    suite = _suite(tmp_path, f"""
        [defaults]
        iterations = 100
        [matrix]
        hint = ["throughput", "latency"]
        [[models]]
        model = "{tiny_ir}"
    """)
    out = str(tmp_path / "out")
    done = _perfbench("suite", suite, "--out", out, "--select", "tiny.latency", "-q")
    assert done.returncode == 0, done.stderr
    doc, entries = _entries(out)
    assert entries["tiny.throughput"]["status"] == "skipped"
    assert entries["tiny.latency"]["status"] == "ok" and doc["status"] == "partial"


def test_a_saved_mode_with_odd_values_is_named_in_one_line():
    """Review 2 (M1): a hand-edited suite.json's mode is named in the resume's refusal,
    whatever its values hold."""
    from perfbench.cli.commands.suite import _mode_text
    text = _mode_text({"kind": "ab", "base": "x", "new": {"python": "p", "set": "a=1"},
                       "controls": {"evict": True}})
    assert text.startswith("an --ab suite (x vs p a=1, --control {") and "\n" not in text


@pytest.mark.parametrize("body, args, words", [
    ('[[models]]\nmodel = "missing.xml"', [], "model file not found"),
    ('[matrix]\n[[models]]\nmodel = "builtin"', [], "[matrix] is empty"),
    ('[[models]]\nmodel = "builtin"\nspeed = 2', [], "unknown setting 'speed'"),
    ('[[models]]\nmodel = "builtin"\nname = "a"\n[[models]]\nmodel = "builtin"\nname = "a"',
     [], "two entries are named 'a'"),
    ('[[models]]\nmodel = "builtin"', ["--select", "nope"], "no entry named 'nope'"),
    ('[[models]]\nmodel = "builtin"', ["--budget", "soon"], "'budget'"),
    ('[[models]]\nmodel = "builtin"', ["--baseline", "/nonexistent"], "no such suite"),
    ('[[models]]\nmodel = "builtin"', ["--ab"], "--ab needs two sides"),
    ('[[models]]\nmodel = "builtin"', ["--new-set", "threads=1"], "need --ab"),
    ('[[models]]\nmodel = "builtin"', ["--control", "thp-off"], "--control applies to an "
     "A/B's workers: it needs --ab"),
    ('[[models]]\nmodel = "builtin"', ["--ab", "--new-set", "threads=1", "--control",
                                       "arena"], "--control arena: needs a value"),
])
def test_bad_input_is_one_line_exit_2_before_anything_runs(tmp_path, body, args, words):
    out = tmp_path / "out"
    done = _perfbench("suite", _suite(tmp_path, body), "--out", str(out), *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    assert not (out / "suite.json").exists()


def _doc(statuses, baseline=None, ab=None):
    """A suite document with these entry statuses and judged blocks (version 2's
    spelling, as the registry reads it)."""
    failed = sum(s != "ok" for s in statuses)
    return SuiteDocument(
        "s", "complete", (), Summary(len(statuses), len(statuses) - failed, failed),
        baseline=BaselineBlock.from_dict(baseline, "baseline") if isinstance(baseline, dict)
        else baseline, ab=None if ab is None else ABBlock.from_dict(ab, "ab"))


def _geomean(verdict):
    return {"ratio": {"ratio": 1.0, "low": 0.9, "high": 1.1, "level": 0.95},
            "scope": "fixed", "verdict": verdict}


def test_exit_codes():
    assert exit_status(_doc(["ok", "ok"]), None) == 0
    assert exit_status(_doc(["ok", "failed"]), None) == 1
    assert exit_status(_doc(["ok"]), 15) == 143
    calm = {"entries": [{"name": "a", "verdict": "no significant change"}],
            "new_failures": [], "geomean": _geomean("no significant change")}
    # a failure that was failing already is not new: no regression, exit 0
    assert exit_status(_doc(["ok", "failed"], baseline=calm), None) == 0
    assert exit_status(_doc(["ok"], baseline=dict(calm, new_failures=["b"])), None) == 1
    worse = dict(calm, entries=[{"name": "a", "verdict": "regression"}])
    assert exit_status(_doc(["ok"], baseline=worse), None) == 1
    slower = dict(calm, geomean=_geomean("regression"))
    assert exit_status(_doc(["ok"], baseline=slower), None) == 1
    assert exit_status(_doc(["ok"], ab={"entries": [{"name": "a", "verdict": "regression"}],
                                        "failed": []}), None) == 1


def test_attribute_without_ab_is_one_line_exit_2(tmp_path):
    out = tmp_path / "out"
    done = _perfbench("suite", _suite(tmp_path, '[[models]]\nmodel = "builtin"'), "--out",
                      str(out), "--attribute")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--attribute" in done.stderr and "--ab" in done.stderr
    assert not (out / "suite.json").exists()


def test_a_failed_attribution_pass_exits_1_and_says_so_in_the_gate():
    """As for `ab --attribute`: the verdicts stand, the output asked for is missing."""
    from perfbench.cli.commands.suite import gate
    ab = {"entries": [{"name": "a", "verdict": "no regression", "attribution": "failed",
                       "attribution_error": "died"}], "failed": []}
    assert exit_status(_doc(["ok"], ab=ab), None) == 1
    assert gate(_doc(["ok"], ab=ab), None).outcome == "failed: attribution failed for a"
    ab["entries"][0]["attribution"] = "complete"
    assert exit_status(_doc(["ok"], ab=ab), None) == 0


def test_exit_code_on_an_ab_geomean_regression():
    calm = {"entries": [{"name": "a", "verdict": "no regression"}], "failed": []}
    assert exit_status(_doc(["ok"], ab=dict(calm, geomean=_geomean("no significant "
                                                                   "change"))), None) == 0
    assert exit_status(_doc(["ok"], ab=dict(calm, geomean=_geomean("regression"))),
                       None) == 1


def test_exit_code_with_history_counts_a_failed_entry(tmp_path):
    from perfbench.suite.baseline import against_history
    new = SuiteDocument.from_dict({"suite": "s", "status": "complete", "entries": [
        {"name": "a", "status": "failed", "file": None}]})
    block = against_history(new, str(tmp_path), str(tmp_path / "h.db"))
    assert exit_status(_doc(["failed"], baseline=block), None) == 1


def test_a_result_measured_on_a_disturbed_machine_is_not_anyones_baseline(tmp_path, capsys):
    """`--history`: an unconfirmed regression asks for a quiet re-run; had the disturbed
    result been appended, that re-run would compare with it (50 against 50) and pass."""
    from perfbench.cli.commands.suite import _append_history
    from perfbench.results import load
    from perfbench.suite.baseline import against_history
    from perfbench.tracking.history import append, last_run
    from tests.models import synthetic_document, synthetic_result
    db = str(tmp_path / "h.db")
    append(db, synthetic_result([100, 100], model="a"))
    busy = synthetic_document([50, 50], model="a")
    busy["checks"] = [{"name": "other_processes_cpu", "ok": False, "value": 40.0,
                       "threshold": 10.0, "message": "busy"}]
    (tmp_path / "a.json").write_text(json.dumps(busy))
    quiet = synthetic_document([100, 100], model="b")
    (tmp_path / "b.json").write_text(json.dumps(quiet))
    doc = SuiteDocument.from_dict({"suite": "s", "status": "complete", "entries": [
        {"name": "a", "status": "ok", "file": "a.json"},
        {"name": "b", "status": "ok", "file": "b.json"}]})
    block = against_history(doc, str(tmp_path), db)
    assert block.entries[0].verdict == "unconfirmed regression"
    _append_history(SimpleNamespace(records={r.name: r.record() for r in doc.entries}),
                    str(tmp_path), db)
    assert "a: not added to" in capsys.readouterr().err
    assert last_run(db, load(str(tmp_path / "a.json"))).fps == pytest.approx(100)
    assert last_run(db, load(str(tmp_path / "b.json"))).fps == pytest.approx(100)


def test_a_baseline_whose_result_file_is_gone_is_refused_before_anything_runs(tmp_path):
    """It was read only after the whole suite had run: exit 2 then, the judgement and the
    Markdown/CSV lost."""
    base = tmp_path / "base"
    base.mkdir()
    (base / "suite.json").write_text(json.dumps(
        {"schema": "perfbench.suite", "schema_version": 1, "suite": "s", "status": "complete",
         "entries": [{"name": "builtin", "status": "ok", "file": "builtin.json"}]}))
    out = tmp_path / "out"
    done = _perfbench("suite", _suite(tmp_path, '[[models]]\nmodel = "builtin"'), "--out",
                      str(out), "--baseline", str(base))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "builtin.json" in done.stderr and not (out / "suite.json").exists()


def test_a_summary_output_that_cannot_be_written_is_one_line_and_exit_1(tmp_path, capsys,
                                                                        monkeypatch):
    """It was a traceback: the Markdown summary is named, the other outputs still written,
    the summary saved to a fallback file, and the run that found nothing wrong exits 1."""
    import argparse
    import tempfile
    from perfbench.cli.commands.suite import _finish
    from perfbench.cli.signals import SignalStop
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    doc = SuiteDocument("s", "complete", (), Summary(0, 0, 0))
    args = argparse.Namespace(markdown="/proc/x.md", csv=str(tmp_path / "s.csv"),
                              json=None)
    assert _finish(args, doc, SignalStop()) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if "perfbench:" in line]
    assert len(err) == 1 and err[0].startswith("perfbench: could not write --markdown")
    assert (tmp_path / "s.csv").exists()
    assert json.loads(open(err[0].rsplit(" ", 1)[1]).read())["suite"] == "s"


@pytest.mark.parametrize("text,message", [
    ('[defaults]\nthreadz = 2\n[[models]]\nmodel = "builtin"',
     "unknown setting 'threadz' (did you mean 'threads'?)"),
    ('time_limt = 5\n[[models]]\nmodel = "builtin"',
     "unknown key 'time_limt' (did you mean 'time_limit'?)")])
def test_an_unknown_suite_key_suggests_the_nearest(tmp_path, text, message):
    """Issue 24, item 15: the nearest known key, as for profiles."""
    from perfbench.suite.spec import load_suite
    from perfbench.errors import UsageError
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        load_suite(str(path))
    assert str(caught.value).endswith(message)


def _suite_json(directory, entries, **extra):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "suite.json").write_text(json.dumps(dict(
        {"schema": "perfbench.suite", "schema_version": 1, "suite": "s",
         "status": "partial", "entries": entries}, **extra)))
    return str(directory)


@pytest.mark.parametrize("entries, words", [
    ([1, 2], "entry #1 is int, not a table"),
    ([{"status": "ok", "file": "a.json"}], "entry #1 has no 'name'"),
    ([{"name": "a", "status": "ok", "settings": [1]}], "has a 'settings' of type list"),
    ([{"name": "a", "status": "done"}], "unknown status 'done'"),
    ([{"name": "a", "status": "ok", "file": "../x.json"}], "outside its directory"),
])
def test_a_malformed_suite_json_is_one_line_before_anything_runs(tmp_path, entries, words):
    """An AttributeError, a KeyError after the suite had run, a TypeError on --resume
    (issue 30, item 6)."""
    from perfbench.errors import UsageError
    from perfbench.suite.document import read_suite
    directory = _suite_json(tmp_path / "base", entries)
    for flag in ("--baseline", "--resume"):
        with pytest.raises(UsageError, match=words.replace("(", r"\(").replace(".", r"\.")):
            read_suite(directory, flag)


def test_a_malformed_baseline_and_resume_exit_2_on_the_command_line(tmp_path):
    suite = _suite(tmp_path, '[[models]]\nmodel = "builtin"')
    bad = _suite_json(tmp_path / "bad", [{"status": "ok"}])
    for args in (["--out", str(tmp_path / "out"), "--baseline", bad],
                 ["--out", bad, "--resume"]):
        done = _perfbench("suite", suite, *args)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "has no 'name'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_refused_resume_creates_nothing(tmp_path):
    """--resume of a directory without suite.json was refused after --out was created
    (issue 30, item 18)."""
    out = tmp_path / "never"
    done = _perfbench("suite", _suite(tmp_path, '[[models]]\nmodel = "builtin"'), "--out",
                      str(out), "--resume", "--markdown", str(tmp_path / "md" / "s.md"))
    assert done.returncode == 2 and "nothing to resume" in done.stderr
    assert not out.exists() and not (tmp_path / "md").exists()


def test_the_baseline_directory_as_out_is_refused_and_left_alone(tiny_ir, tmp_path):
    """`--out same --baseline same` compared the run with itself (ratio 1.000, exit 0) and
    rewrote the baseline's results (issue 30, item 2)."""
    suite = _suite(tmp_path, f'[defaults]\niterations = 50\n[[models]]\nmodel = "{tiny_ir}"\n'
                             'name = "conv"')
    same = tmp_path / "same"
    assert _perfbench("suite", suite, "--out", str(same), "-q").returncode == 0
    before = (same / "conv.json").read_bytes()
    (tmp_path / "link").symlink_to(same)
    for baseline in (str(same), str(tmp_path / "link"), str(same) + "/"):
        done = _perfbench("suite", suite, "--out", str(same), "--baseline", baseline)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "is the --out directory" in done.stderr
    assert (same / "conv.json").read_bytes() == before


def test_a_resume_across_modes_is_refused(tmp_path):
    """`--ab --resume` was refused, so dropping --ab was the only way on: the A/B verdicts
    were erased and plain results mixed in (issue 30, item 4)."""
    import argparse
    from perfbench.cli.commands.suite import previous_run
    from perfbench.errors import UsageError
    from perfbench.suite.document import PLAIN
    ab = {"kind": "ab", "base": {"python": "/a/python", "set": None},
          "new": {"python": "/b/python", "set": None}}
    out = _suite_json(tmp_path / "ab", [], mode=ab, ab={"entries": []})
    args = argparse.Namespace(resume=True, select=[], out=out)
    with pytest.raises(UsageError, match="it holds an --ab suite"):
        previous_run(args, PLAIN)
    other = dict(ab, new={"python": "/c/python", "set": None})
    with pytest.raises(UsageError, match="this run is an --ab suite"):
        previous_run(args, other)
    assert previous_run(args, dict(ab, epoch_s=10.0)).mode == ab
    plain = _suite_json(tmp_path / "plain", [])          # written before the mode was
    with pytest.raises(UsageError, match="a plain suite"):
        previous_run(argparse.Namespace(resume=True, select=[], out=plain), ab)


def test_an_ab_resume_must_keep_the_epoch_design_and_the_controls(tmp_path):
    """Review (issue 29, L8): the mode did not record the epochs, so a directory measured
    at fixed 10 s epochs resumed with its remaining entries dimensioned.  The mode now
    says ``epoch_s`` (null: dimensioned).  One written before it was recorded may hold
    either design (dimensioned from 160cf17 on, without saying so: review M1), so it is
    unknown and admits both, on --resume and on a --select re-run alike.  The same design
    and the same controls resume; another is refused, named."""
    import argparse
    from perfbench.cli.commands.suite import previous_run
    from perfbench.errors import UsageError
    sides = {"kind": "ab", "base": {"python": "/a/python", "set": None},
             "new": {"python": "/a/python", "set": None}}
    old = _suite_json(tmp_path / "old", [], mode=sides, ab={"entries": []})
    for resume, select in ((True, []), (False, ["builtin"])):
        args = argparse.Namespace(resume=resume, select=select, out=old)
        for epoch_s in (10.0, None, 2.0):
            assert previous_run(args, dict(sides, epoch_s=epoch_s)).mode == sides
    args = argparse.Namespace(resume=True, select=[], out=old)
    with pytest.raises(UsageError, match=r"holds an --ab suite \(/a/python vs /a/python\)"
                                         ".*this run is an --ab suite .*epochs dimensioned, "
                                         "--control evict"):
        previous_run(args, dict(sides, epoch_s=None, controls=["evict"]))
    dimensioned = dict(sides, epoch_s=None, controls=["arena=2"])
    new = _suite_json(tmp_path / "new", [], mode=dimensioned, ab={"entries": []})
    args = argparse.Namespace(resume=True, select=[], out=new)
    assert previous_run(args, dict(dimensioned)).mode == dimensioned
    for other in (dict(dimensioned, epoch_s=2.0), dict(dimensioned, controls=["evict"]),
                  {k: v for k, v in dimensioned.items() if k != "controls"}):
        with pytest.raises(UsageError, match="it holds an --ab suite"):
            previous_run(args, other)


def test_an_ab_resume_keeps_the_finished_entries_with_their_rows(tmp_path):
    from perfbench.suite.ab import _kept
    from perfbench.suite.document import pending_record
    from perfbench.suite.spec import load_suite
    spec = load_suite(_suite(tmp_path, '[matrix]\nhint = ["throughput", "latency"]\n'
                                       '[[models]]\nmodel = "builtin"'))
    (tmp_path / "builtin.throughput.json").write_text("{}")
    previous = SuiteDocument.from_dict({
        "suite": "s", "status": "partial",
        "entries": [dict(pending_record(spec.entries[0]), status="ok",
                         file="builtin.throughput.json"), pending_record(spec.entries[1])],
        "ab": {"entries": [{"name": "builtin.throughput", "verdict": "regression",
                            "ratio": {"ratio": 0.8, "low": None, "high": None,
                                      "level": None}}]}})
    records, rows = _kept(spec, tmp_path, previous)
    assert records["builtin.throughput"]["status"] == "ok"
    assert records["builtin.latency"]["status"] == "pending"
    assert rows == list(previous.ab.entries)


def test_an_ab_entry_that_cannot_be_written_keeps_its_epochs(tmp_path, monkeypatch, capsys):
    """A full disk gave an OSError traceback and the suite stopped, the entry's epochs lost
    (issue 29)."""
    import tempfile
    from perfbench.suite.ab import _write_entry
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "e.json").symlink_to("/dev/full")
    from pathlib import Path
    from perfbench.results import load_document
    doc = load_document(str(Path(__file__).parents[1] / "data" / "ab_v4.json"))
    record = {}
    assert _write_entry(tmp_path / "e.json", doc, record) is None
    assert json.loads(open(record["fallback"]).read()) == doc.to_dict()
    assert "No space left on device" in record["message"]
    assert capsys.readouterr().err.count("\n") == 1


def _suite_with_a_long_entry(tiny_ir, tmp_path):
    suite = _suite(tmp_path, f'[[models]]\nmodel = "{tiny_ir}"\nname = "long"\ntime = 600\n')
    return subprocess.Popen([sys.executable, "-m", "perfbench", "suite", suite, "--out",
                             str(tmp_path / "out"), "-q"], env=checkout_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _running_entry(suite):
    """The entry's `perfbench run`, once the suite has started it (the marker)."""
    import time
    import psutil
    from tests.processes import MARKER_TIMEOUT_S
    deadline = time.monotonic() + MARKER_TIMEOUT_S
    while time.monotonic() < deadline:
        for child in psutil.Process(suite.pid).children(recursive=True):
            try:
                if "--profile" in child.cmdline():
                    return child
            except psutil.Error:
                continue
        time.sleep(0.05)
    raise AssertionError("the entry never started")


@pytest.mark.parametrize("signum", [9, 1])
def test_a_killed_or_hung_up_suite_leaves_no_entry_measuring(tiny_ir, tmp_path, signum):
    """SIGKILL or SIGHUP to the suite left its entry (in a session of its own) measuring,
    reparented to init, with no time limit (issue 30, item 10).  A SIGHUP now stops the
    suite as SIGTERM does; a SIGKILL ends the entry through its death-of-parent signal."""
    import psutil
    from tests.processes import MARKER_TIMEOUT_S
    suite = _suite_with_a_long_entry(tiny_ir, tmp_path)
    try:
        entry = _running_entry(suite)
        suite.send_signal(signum)
        gone, alive = psutil.wait_procs([entry], timeout=MARKER_TIMEOUT_S)
        assert not alive, "the entry outlived its suite"
        suite.wait(MARKER_TIMEOUT_S)
    finally:
        if suite.poll() is None:
            suite.kill()
            suite.wait()
    assert suite.returncode == (-9 if signum == 9 else 129)
    if signum == 1:
        doc, entries = _entries(str(tmp_path / "out"))
        assert doc["status"] == "interrupted" and entries["long"]["status"] == "pending"


def test_a_summary_output_that_fails_says_exit_1_in_the_documents_too(tmp_path, monkeypatch,
                                                                       capsys):
    """The gate was recorded before the outputs: a --markdown that failed exited 1 while
    the fallback and stdout JSON said "passed (exit 0)" (review)."""
    import argparse
    from pathlib import Path
    from perfbench.cli import outputs
    from perfbench.cli.commands.suite import _finish
    from perfbench.cli.signals import SignalStop
    from perfbench.results import load_document
    doc = load_document(str(Path(__file__).parents[1] / "data" / "suite_v2" / "suite.json"))
    fallback = tmp_path / "fallback.json"
    monkeypatch.setattr(outputs, "fallback_path", lambda kind: str(fallback))
    args = argparse.Namespace(json="-", markdown=str(tmp_path), csv=None, out=None)
    with SignalStop() as stop:
        code = _finish(args, doc, stop)
    printed = json.loads(capsys.readouterr().out)
    assert code == 1
    assert printed["gate"]["exit_status"] == 1 == json.loads(fallback.read_text())["gate"][
        "exit_status"]


@pytest.mark.parametrize("args, words", [
    (["--threshold", "x"], "--threshold"),
    (["--epoch-s", "0"], "--epoch-s"),
    (["--attribute", "--attribute-rounds", "0"], "--attribute-rounds"),
    (["--attribute", "--attribute-epochs", "many"], "--attribute-epochs"),
    (["--base-set", "threads"], "--base-set"),
    (["--base-python", "/nonexistent/python"], "--base-python"),
])
def test_a_bad_ab_option_is_one_line_exit_2_and_creates_nothing(tmp_path, capsys, args,
                                                                words):
    """The --ab options were checked after --out (and --markdown's directory) had been
    created (issue 25): a typo left an empty suite directory behind."""
    from perfbench.cli.main import main
    out, markdown = tmp_path / "out", tmp_path / "md" / "s.md"
    assert main(["suite", _suite(tmp_path, '[[models]]\nmodel = "builtin"'), "--out",
                 str(out), "--markdown", str(markdown), "--ab", "--new-set", "threads=1",
                 *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert not out.exists() and not markdown.parent.exists()


def test_attribute_out_without_ab_is_one_line_exit_2(tmp_path):
    out = tmp_path / "out"
    done = _perfbench("suite", _suite(tmp_path, '[[models]]\nmodel = "builtin"'), "--out",
                      str(out), "--attribute-out")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--attribute-out" in done.stderr and "--ab" in done.stderr
    assert not (out / "suite.json").exists()
