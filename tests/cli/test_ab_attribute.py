"""``perfbench ab --attribute`` end to end: the document's block, the table, the reproducer."""

import io
import json
import signal
import subprocess
import sys

import openvino as ov
import pytest
from rich.console import Console

from perfbench.cli.main import main
from perfbench.reporters import attribution_report
from perfbench.results import load_document
from tests.processes import checkout_env, wait_for_marker
from tests.runner.test_attribute import pair  # noqa: F401  (the fixture)


@pytest.mark.slow
def test_ab_attribute_writes_the_block_the_table_and_a_reproducer(pair, tmp_path,  # noqa: F811
                                                                  capsys):
    out = tmp_path / "repro"
    code = main(["ab", pair[0], pair[1], "--max-time", "3", "--epoch-s", "0.5",
                 "--block-ms", "50", "--attribute-rounds", "2", "--attribute-epochs", "2",
                 "--attribute-out", str(out), "--control", "arena=1",
                 "--json", str(tmp_path / "ab.json"), "-q"])
    doc = load_document(str(tmp_path / "ab.json")).to_dict()
    assert code == doc["exit_status"] and doc["schema_version"] == 7
    block = doc["attribution"]
    assert block["status"] == "complete" and block["rounds"] == 4 and block["epochs"] == 2
    assert block["interval_over"] == "epochs"
    assert block["nodes"][0]["changes"] == ["only in NEW"]
    shown = capsys.readouterr()
    err = shown.out + shown.err
    assert "Top 10 nodes by contribution" in err and "Node types" in err
    assert block["nodes"][0]["key"][:10] in err
    reproducer = json.loads((out / "reproducer.json").read_text())
    assert reproducer["openvino"]["base"] == doc["sides"]["base"]["openvino"]
    assert reproducer["host"] == doc["host"] and reproducer["top_node"] == block["nodes"][0]
    assert reproducer["controls"] == doc["controls"] == ["arena=1"]    # review L7
    assert reproducer["subgraph"]["written"] is True, reproducer["subgraph"]
    cut = ov.Core().read_model(str(out / "top-node.xml"))
    assert {op.get_type_name() for op in cut.get_ops()} >= {"MatMul", "Parameter", "Result"}
    for side in ("base", "new"):
        profile = json.loads((out / f"{side}-profile.json").read_text())
        assert len(profile["blocks"]) == 4 and profile["graph"]


@pytest.mark.slow
def test_ctrl_c_in_the_attribution_pass_keeps_the_verdict_and_the_rounds_done(tiny_ir,
                                                                               tmp_path):
    out = tmp_path / "ab.json"
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "ab", tiny_ir, tiny_ir, "-v",
                             "-q", "--max-time", "2", "--epoch-s", "0.5", "--attribute",
                             "--attribute-epochs", "50", "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=checkout_env())
    wait_for_marker(proc, "perfbench: ab attribution epoch 1 round 1")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    data = json.loads(out.read_text())
    assert data["exit_status"] == 130 and data["verdict"] and data["epochs"]
    assert data["attribution"]["status"] == "interrupted"
    assert data["attribution"]["rounds"] >= 1 and data["attribution"]["epochs"] < 50


@pytest.mark.parametrize("argv,message", [
    (["--attribute-rounds", "0"], "--attribute-rounds"),
    (["--attribute-out", "FILE"], "is a file, not a directory"),
])
def test_bad_attribute_options_are_one_line_before_measuring(tmp_path, capsys, argv, message):
    target = tmp_path / "file"
    target.write_text("x")
    argv = [str(target) if a == "FILE" else a for a in argv]
    assert main(["ab", "builtin", "builtin", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_the_table_shows_the_documents_figures():
    doc = load_document("tests/data/ab_v3.json")
    console = Console(file=io.StringIO(), width=200, color_system=None)
    attribution_report.render(doc.attribution, console)
    text = console.file.getvalue()
    block = doc.to_dict()["attribution"]
    top = block["nodes"][0]
    assert top["type"] in text and f"{top['base_ms']:.4f}" in text
    assert f"{top['new_ms']:.4f}" in text
    family = block["row_family"]
    assert f"{100 * family['level']:.2f} %" in text and f"over {family['size']} rows" in text
    assert f"BASE {block['total']['base_ms']:.4f} ms" in text
    unattributed = (block["unattributed"]["outside_counters"]["delta_ms"]["value"]
                    + block["unattributed"]["unmatched"]["delta_ms"]["value"])
    assert f"unattributed {unattributed:+.4f} ms" in text


@pytest.mark.slow
def test_a_failed_attribution_pass_keeps_the_verdict_and_exits_1(tiny_ir, tmp_path,
                                                                 monkeypatch):
    """A review found a pass whose worker failed printed "--attribute failed" and still
    exited with the verdict's status (0): the failure never reached ``finish``."""
    from perfbench.cli.commands import ab_attribute
    from perfbench.errors import RunFailed

    def dies(*args, **kwargs):
        raise RunFailed("worker exited during its profile block")
    monkeypatch.setattr(ab_attribute, "profile_pass", dies)
    # an A/A at a 90 % threshold is decided "no regression" (exit 0) once it has an
    # interval, so the status can only come from the failed pass
    code = main(["ab", tiny_ir, tiny_ir, "--max-time", "3", "--epoch-s", "0.5",
                 "--block-ms", "50", "--threshold", "90", "--attribute",
                 "--json", str(tmp_path / "ab.json"), "-q"])
    doc = json.loads((tmp_path / "ab.json").read_text())
    assert doc["attribution"]["status"] == "failed" and doc["verdict"] != "regression"
    # 1 when the verdict was decided; an undecided one keeps its 3 (the larger status)
    assert code == doc["exit_status"] == (3 if doc["verdict"] == "inconclusive" else 1)


@pytest.mark.slow
def test_a_pass_failing_in_its_second_epoch_keeps_the_first_and_says_partial(
        pair, tmp_path, monkeypatch, capsys):  # noqa: F811
    """The rounds of the epochs completed before a worker failed are the attribution,
    marked partial, said on stderr, and the command exits 1 (an asked-for output failed)."""
    from perfbench.cli.commands import ab_attribute
    from tests.runner.test_attribute import failing_python
    new_python = failing_python(tmp_path, fail_from=2)
    real_pass = ab_attribute.profile_pass

    def new_side_dies_in_epoch_2(base, new, pythons, *args, **kwargs):
        return real_pass(base, new, (pythons[0], new_python), *args, **kwargs)
    monkeypatch.setattr(ab_attribute, "profile_pass", new_side_dies_in_epoch_2)
    code = main(["ab", pair[0], pair[1], "--max-time", "3", "--epoch-s", "0.5",
                 "--block-ms", "50", "--attribute", "--attribute-rounds", "1",
                 "--attribute-epochs", "3", "--json", str(tmp_path / "ab.json"), "-q"])
    doc = json.loads((tmp_path / "ab.json").read_text())
    attributed = doc["attribution"]
    assert attributed["status"] == "partial" and attributed["error"].startswith("epoch 2")
    assert (attributed["rounds"], attributed["epochs"]) == (1, 1) and attributed["nodes"]
    err = capsys.readouterr().err
    assert "--attribute partial: epoch 2 failed" in err and "1 epoch(s) completed" in err
    assert code == doc["exit_status"] >= 1
