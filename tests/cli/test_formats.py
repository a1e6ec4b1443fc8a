"""The one door out (perfbench.cli.outputs.write_outputs) and its table of writers
(perfbench.cli.formats): every typed document can be written as JSON, a failed output is
one line and a fallback holding the document, and no command imports another."""

import ast
import json
from pathlib import Path

import pytest

from perfbench.cli import formats, outputs
from perfbench.results import load_document

DATA = Path(__file__).parents[1] / "data"
COMMANDS_DIR = Path(__file__).parents[2] / "perfbench" / "cli" / "commands"


@pytest.mark.parametrize("name", ["result_v3.json", "ab_v4.json", "comparison_v2.json",
                                  "shapes_v1.json", "sweep_v2-race.json",
                                  "server-search_v3.json", "fleet-report_v2-runs.json",
                                  "suite_v2/suite.json"])
def test_every_typed_document_goes_out_as_its_own_json(name, tmp_path):
    document = load_document(str(DATA / name))
    target = tmp_path / "out.json"
    assert outputs.write_outputs(document, outputs.Outputs(json=str(target)), "it")
    assert json.loads(target.read_text()) == json.loads(json.dumps(document.to_dict()))


def test_a_failed_output_is_one_line_and_the_document_is_saved(tmp_path, monkeypatch,
                                                                  capsys):
    document = load_document(str(DATA / "ab_v4.json"))
    fallback = tmp_path / "fallback.json"
    monkeypatch.setattr(outputs, "fallback_path", lambda kind: str(fallback))
    (tmp_path / "full.md").symlink_to("/dev/full")
    ok = outputs.write_outputs(document, outputs.Outputs(json=str(tmp_path / "a.json"),
                                                         markdown=str(tmp_path / "full.md")),
                               "the A/B result")
    err = capsys.readouterr().err
    assert not ok and err.count("\n") == 1 and "--markdown" in err and str(fallback) in err
    assert json.loads(fallback.read_text()) == document.to_dict()
    assert json.loads((tmp_path / "a.json").read_text()) == document.to_dict()


def test_each_export_is_a_step_of_its_own_and_named(tmp_path, capsys):
    result = load_document(str(DATA / "result_v3.json"))
    csv_out, bmf_out = tmp_path / "m.csv", tmp_path / "m.json"
    outputs.forget()
    assert outputs.write_outputs(result, outputs.Outputs(
        exports=(("csv", str(csv_out)), ("bmf", str(bmf_out)))), "the result")
    outputs.announce()
    err = capsys.readouterr().err
    assert f"--export-csv {csv_out}" in err and f"--export-bmf {bmf_out}" in err
    assert csv_out.is_file() and bmf_out.is_file()


def test_stdout_json_is_the_commands_to_write_after_its_report():
    assert outputs.Outputs(json="-").asked() == []


def test_every_document_type_a_writer_is_listed_for_has_a_fallback_kind():
    assert set(formats.FORMATS) == set(formats.KIND)
    assert all("--json" in writers for writers in formats.FORMATS.values())


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_command_imports_another():
    """The other modules in cli/commands/ are parts of one command (ab --attribute, suite
    --ab), or of the two that measure one configuration (run and benchmark-app)."""
    from perfbench.cli.commands import COMMANDS
    prefix = "perfbench.cli.commands."
    found = {(path.stem, module.removeprefix(prefix))
             for path in COMMANDS_DIR.glob("*.py")
             for module in _imports(path) if module.startswith(prefix)}
    assert {(a, b) for a, b in found if a in COMMANDS and b in COMMANDS} == set()
    assert {"ab_attribute", "suite_ab", "single_run", "shapes"} <= {b for _, b in found}


def test_ab_json_to_stdout_is_one_document(tiny_ir, capsys):
    """The door leaves stdout to the command; ab forgot it and wrote nothing (review)."""
    from perfbench.cli.main import main
    main(["ab", tiny_ir, tiny_ir, "--max-time", "3", "--epoch-s", "0.5", "--block-ms", "100",
          "-q", "--json", "-"])
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "perfbench.ab"
