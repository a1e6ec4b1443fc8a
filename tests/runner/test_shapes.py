"""--data-shape: one compilation, each shape measured in turn, on a dynamic model."""

import json

import pytest

from perfbench.cli.main import main
from perfbench.runner.benchmark import run_shapes
from perfbench.settings.config import BenchmarkConfig
from tests.models import save, sequence_model


@pytest.fixture(scope="module")
def sequence_ir(tmp_path_factory):
    return save(sequence_model(), tmp_path_factory.mktemp("shapes") / "sequence.xml")


def test_each_shape_gets_its_result_and_its_cost(sequence_ir):
    results = run_shapes(BenchmarkConfig(model=sequence_ir, data_shape="[1,8,16][1,32,16]",
                                         iterations=40))
    assert [r.model.inputs[0]["shape"] for r in results] == [[1, 8, 16], [1, 32, 16]]
    assert [r.model.gflops_per_image for r in results] == [2 * 8 * 16 * 32 / 1e9,
                                                          2 * 32 * 16 * 32 / 1e9]
    assert all(r.completed_requests == 40 and r.status == "complete" for r in results)
    assert results[0].compile_ms == results[1].compile_ms          # compiled once
    assert "shape 2 of 2 from --data-shape (x[1,32,16])" in results[1].model.notes[0]
    for r in results:
        assert r.effective_gflops == pytest.approx(r.fps * r.model.gflops_per_image)


def test_cli_writes_one_document_with_every_shape(sequence_ir, tmp_path, capsys):
    out = tmp_path / "shapes.json"
    assert main(["run", "-m", sequence_ir, "--data-shape", "x[1,4,16][1,16,16][1,64,16]",
                 "-n", "30", "-q", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == "perfbench.shapes" and doc["status"] == "complete"
    assert [r["model"]["inputs"][0]["shape"][1] for r in doc["results"]] == [4, 16, 64]
    assert "Shapes (complete, 3 of 3; one compilation)" in capsys.readouterr().out


def test_shapes_the_model_cannot_take_fail_before_measuring(sequence_ir, capsys):
    cases = [(["-m", sequence_ir, "--data-shape", "[1,8,16][1,8,17]"], "cannot take x[1,8,17]; it takes [1,?,16]"),
             (["-m", sequence_ir, "--data-shape", "[1,8]"], "cannot take x[1,8]"),
             (["-m", sequence_ir, "--data-shape", "y[1,8,16]"], "unknown input 'y'"),
             (["--data-shape", "[1,8,16]"], "applies to --model files"),
             (["-m", sequence_ir, "--data-shape", "[1,8,16]", "--batch", "2"], "drop --shape"),
             (["-m", sequence_ir, "--data-shape", "[1,8,16]", "--history", "h.db"],
              "--data-shape writes one result per shape")]
    for argv, message in cases:
        assert main(["run", *argv, "-n", "5"]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (argv, err)


def _fails_past_one_element():
    """x [1,?] reshaped to a shape read from input t (filled with ones): length 1 runs,
    any longer x fails inside the CPU plugin at inference time (a real runtime failure)."""
    import numpy as np
    import openvino as ov
    import openvino.opset15 as ops
    x = ops.parameter([1, -1], np.float32, name="x")
    t = ops.parameter([2], np.int64, name="t")
    return ov.Model([ops.reshape(x, t, special_zero=False)], [x, t], "fails_later")


def test_a_later_failure_keeps_the_finished_shapes(tmp_path, capsys):
    path = save(_fails_past_one_element(), tmp_path / "later.xml")
    out = tmp_path / "shapes.json"
    assert main(["run", "-m", path, "--data-shape", "x[1,1][1,4]", "--fill", "ones",
                 "-n", "20", "-q", "--json", str(out)]) == 1
    doc = json.loads(out.read_text())
    assert doc["status"] == "partial" and doc["shapes_measured"] == 1
    assert doc["results"][0]["status"] == "complete"
    assert doc["results"][0]["results"]["completed_requests"] == 20
    assert "shape 2 of 2" in doc["error"] and "inference failed" in doc["error"]
    captured = capsys.readouterr()
    assert "Shapes (partial, 1 of 2" in captured.out
    failure, wrote = captured.err.splitlines()       # the failure, then where the file went
    assert "shape 2 of 2" in failure and wrote == f"perfbench: wrote --json {out}"


def test_input_data_is_checked_against_every_shape_before_compiling(sequence_ir, tmp_path,
                                                                     monkeypatch):
    """--input fitting the first shape but not the second: one line, before compiling."""
    import numpy as np
    from perfbench.errors import UsageError
    from perfbench.runner import benchmark
    np.save(tmp_path / "x.npy", np.ones((1, 8, 16), np.float32))
    compiled = []
    real = benchmark.compile_model
    monkeypatch.setattr(benchmark, "compile_model",
                        lambda *a, **k: compiled.append(1) or real(*a, **k))
    config = BenchmarkConfig(model=sequence_ir, data_shape="[1,8,16][1,32,16]",
                             input=(str(tmp_path / "x.npy"),), iterations=5)
    with pytest.raises(UsageError, match=r"shape 2 of 2 \(x\[1,32,16\]\): --input"):
        run_shapes(config)
    assert compiled == []
