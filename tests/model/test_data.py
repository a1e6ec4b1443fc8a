"""Real input data (--input .npy/.npz) and synthetic fills, on models checked by hand."""

import json

import numpy as np
import openvino as ov
import pytest

from perfbench.cli.main import main
from perfbench.measure.loop import measure_async
from perfbench.measure.windows import StopLimits
from perfbench.model.prepare import prepare_model
from perfbench.runner.benchmark import Session
from perfbench.settings.config import BenchmarkConfig
from tests.models import affine_model, save, sum_model


@pytest.fixture(scope="module")
def affine_ir(tmp_path_factory):
    return save(affine_model(), tmp_path_factory.mktemp("data") / "affine.xml")


@pytest.fixture(scope="module")
def sum_ir(tmp_path_factory):
    return save(sum_model(), tmp_path_factory.mktemp("data") / "sum.xml")


def _session(core, **settings) -> Session:
    config = BenchmarkConfig(**settings)
    return Session(core, prepare_model(config, core), config)


def test_npy_reaches_the_model_unchanged(core, affine_ir, tmp_path):
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    np.save(tmp_path / "x.npy", x)
    session = _session(core, model=affine_ir, input=(f"x={tmp_path / 'x.npy'}",), requests=2)
    for request in session.queue:
        request.infer()
        np.testing.assert_array_equal(request.get_output_tensor().data, 2 * x + 1)
    assert session.input_data == {"x": f"{tmp_path / 'x.npy'} (1 sample)"}


def test_npz_samples_cycle_through_the_requests(core, sum_ir, tmp_path):
    """3 samples, 1 request: the loop sets the next sample on every restart (1, 2, 0, 1)."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 1, 4), np.float32), rng.standard_normal((3, 1, 4), np.float32)
    np.savez(tmp_path / "data.npz", a=a, b=b)
    session = _session(core, model=sum_ir, input=(str(tmp_path / "data.npz"),), requests=1)
    assert len(session.feeds.samples) == 3
    measure_async(session.queue, StopLimits(time_s=None, iterations=4), feeds=session.feeds)
    np.testing.assert_array_equal(session.queue[0].get_output_tensor().data, a[1] + b[1])
    # a directory of them works the same, and the result records where the data came from
    out = tmp_path / "r.json"
    assert main(["run", "-m", sum_ir, "--input", str(tmp_path), "-n", "10", "-q",
                 "--json", str(out)]) == 0
    inputs = json.loads(out.read_text())["model"]["inputs"]
    assert [i["data"] for i in inputs] == [f"{tmp_path / 'data.npz'} (3 samples)"] * 2


def test_a_cast_only_when_allowed(core, affine_ir, tmp_path):
    np.save(tmp_path / "x.npy", np.ones((2, 3), dtype=np.int32))
    session = _session(core, model=affine_ir, input=(f"x={tmp_path / 'x.npy'}",),
                       input_cast=True, requests=1)
    session.queue[0].infer()
    np.testing.assert_array_equal(session.queue[0].get_output_tensor().data, np.full((2, 3), 3.0))


@pytest.mark.parametrize("fill, value", [("zeros", 1.0), ("ones", 3.0)])
def test_fills(core, affine_ir, fill, value):
    session = _session(core, model=affine_ir, fill=fill, requests=1)
    session.queue[0].infer()
    np.testing.assert_array_equal(session.queue[0].get_output_tensor().data, np.full((2, 3), value))
    assert session.input_data == {"x": f"synthetic: {fill}"}


def test_seeded_is_reproducible_and_random_records_its_seed(core, affine_ir):
    first = _session(core, model=affine_ir, requests=1, seed=5)
    again = _session(core, model=affine_ir, requests=1, seed=5)
    np.testing.assert_array_equal(first.tensors[0]["x"].data, again.tensors[0]["x"].data)
    assert first.input_data == {"x": "synthetic: seeded random (seed 5)"}
    fresh = _session(core, model=affine_ir, requests=1, fill="random")
    seed = int(fresh.input_data["x"].split("seed ")[1].rstrip(")"))
    remade = _session(core, model=affine_ir, requests=1, seed=seed)
    np.testing.assert_array_equal(fresh.tensors[0]["x"].data, remade.tensors[0]["x"].data)


def test_bad_input_data_is_one_line_and_exit_2(affine_ir, sum_ir, tmp_path, capsys):
    np.save(tmp_path / "int.npy", np.ones((2, 3), dtype=np.int32))
    np.save(tmp_path / "wide.npy", np.ones((2, 4), dtype=np.float32))
    np.save(tmp_path / "a.npy", np.ones((1, 4), dtype=np.float32))
    np.save(tmp_path / "three.npy", np.ones((3, 1, 4), dtype=np.float32))
    np.save(tmp_path / "two.npy", np.ones((2, 1, 4), dtype=np.float32))
    (tmp_path / "corrupt.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "empty").mkdir()
    cases = [
        ([affine_ir, "--input", f"x={tmp_path / 'int.npy'}"], "convert it, or allow a cast"),
        ([affine_ir, "--input", f"x={tmp_path / 'wide.npy'}"], "which takes [2, 3]"),
        ([sum_ir, "--input", f"a={tmp_path / 'a.npy'}"], "no data for input 'b'"),
        ([sum_ir, "--input", f"a={tmp_path / 'a.npy'}", "--input", f"c={tmp_path / 'a.npy'}"],
         "the model has no input 'c'"),
        ([affine_ir, "--input", f"x={tmp_path / 'corrupt.npy'}"], "cannot read"),
        ([affine_ir, "--input", str(tmp_path / "empty")], "holds no .npy or .npz file"),
        ([affine_ir, "--input", f"x={tmp_path / 'missing.npy'}"], "file not found"),
        ([sum_ir, "--input", f"a={tmp_path / 'three.npy'}", "--input",
          f"b={tmp_path / 'two.npy'}"], "different numbers of samples"),
    ]
    for argv, message in cases:
        assert main(["run", "-m", *argv, "-n", "5"]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (argv, err)


def test_a_named_npz_gives_its_only_array_or_the_one_named_like_the_input(core, affine_ir,
                                                                          tmp_path):
    """NAME=FILE.npz: the archive's only array, else its array called NAME (samples go on
    that array's leading axis, as for .npy)."""
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.savez(tmp_path / "one.npz", whatever=x)
    np.savez(tmp_path / "named.npz", x=x + 1, other=np.zeros(3, np.float32))
    np.savez(tmp_path / "samples.npz", x=np.stack([x, x + 2]))
    for name, expected in (("one", 2 * x + 1), ("named", 2 * (x + 1) + 1)):
        session = _session(core, model=affine_ir, input=(f"x={tmp_path / name}.npz",),
                           requests=1)
        session.queue[0].infer()
        np.testing.assert_array_equal(session.queue[0].get_output_tensor().data, expected)
    session = _session(core, model=affine_ir, input=(f"x={tmp_path / 'samples.npz'}",),
                       requests=2)
    assert session.input_data == {"x": f"{tmp_path / 'samples.npz'} (2 samples)"}


def test_a_named_npz_without_a_fitting_array_is_one_line(affine_ir, tmp_path, capsys):
    np.savez(tmp_path / "several.npz", a=np.ones((2, 3), np.float32), b=np.ones((2, 3), np.float32))
    np.savez(tmp_path / "none.npz")
    for name, message in (("several", "holds arrays a, b and none is named 'x'"),
                          ("none", "holds no array")):
        assert main(["run", "-m", affine_ir, "--input", f"x={tmp_path / name}.npz",
                     "-n", "5"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
