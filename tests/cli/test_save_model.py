from perfbench.model import builtin as builtin_model
from perfbench.cli.main import main
from perfbench.model.flops import graph_flops
from tests.models import count_parameters


def test_save_model_round_trip(tmp_path, core, capsys):
    xml = tmp_path / "irv2.xml"
    assert main(["save-model", str(xml), "--batch", "2"]) == 0
    assert (tmp_path / "irv2.bin").stat().st_size > 4 * 30e6   # f32 weights, uncompressed
    model = core.read_model(str(xml))
    assert model.input(0).get_any_name() == "input"
    assert list(model.input(0).get_shape()) == [2, 299, 299, 3]
    assert list(model.output(0).get_shape()) == [2, 1001]
    assert count_parameters(model) == count_parameters(
        builtin_model.build_model())
    assert graph_flops(model) == 2 * graph_flops(builtin_model.build_model())
    assert "wrote" in capsys.readouterr().out


def test_save_model_to_unwritable_place(tmp_path, capsys):
    assert main(["save-model", "/proc/perfbench/m.xml"]) == 2
    assert "cannot write in /proc/perfbench" in capsys.readouterr().err


def test_export_is_the_old_name_of_save_model(capsys):
    """Renamed (it shared "export" with the --export-* metric exporters); scripts that
    call the old name still work, with the same one-line errors."""
    assert main(["export", "model.onnx"]) == 2
    assert "save-model: output must end in .xml" in capsys.readouterr().err
