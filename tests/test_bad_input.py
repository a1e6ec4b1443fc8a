"""Bad input, systematically: property-based tests (hypothesis) on the shape parser, the
profile loader and the CLI argument layer.  Whatever the input, the only outcomes allowed
are a valid result or a one-line UsageError / exit status 2 — never another exception."""

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from perfbench.cli.main import main
from perfbench.settings.config import SETTINGS as PARSERS
from perfbench.errors import UsageError
from perfbench.settings.profiles import load_profile
from perfbench.settings.shapes import UNNAMED, parse_shapes

EXAMPLES = 300
PACKAGE = Path(__file__).resolve().parent.parent / "perfbench"

nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "1e309", "nan", "inf", "-0", "9" * 40, "1.5",
                     "AUTO", "true", "[", "]", "\x00", "ünïcødé", "🚀", "../../etc/passwd",
                     "/", "//", "\n", "1,2", "[1,2]", "a[1]"]),
)


@settings(max_examples=EXAMPLES)
@given(nasty_text)
def test_shape_parser_accepts_or_rejects_cleanly(text):
    try:
        shapes = parse_shapes(text)
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    assert shapes and all(isinstance(d, int) and d > 0 for dims in shapes.values() for d in dims)


#: Input names as exporters really write them (ONNX, TF, PyTorch), not just identifiers.
input_names = st.one_of(
    st.sampled_from(["input.1", "x:0", "serving_default_input_1:0", "input/ids",
                     "onnx::Conv_0", "pixel-values", "Placeholder"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.:/-]{0,15}", fullmatch=True))


@settings(max_examples=EXAMPLES)
@given(st.dictionaries(
    input_names,
    st.lists(st.integers(min_value=1, max_value=2**31 - 1), min_size=0, max_size=4),
    min_size=1, max_size=3))
def test_shape_round_trip(shapes):
    text = ",".join(f"{name}[{','.join(map(str, dims))}]" for name, dims in shapes.items())
    assert parse_shapes(text) == shapes
    assert parse_shapes("[" + ",".join(map(str, next(iter(shapes.values())))) + "]") == {
        UNNAMED: next(iter(shapes.values()))}


toml_scalar = st.one_of(
    st.integers(min_value=-2**63, max_value=2**63 - 1), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), nasty_text,
    st.lists(st.integers(), max_size=3))


def _toml_string(text: str) -> str:
    """A TOML basic string: backslash and quote escaped, control characters as \\uXXXX
    (TOML has no \\xXX escape, so Python's unicode_escape would make invalid TOML)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(value, "nan" if value != value
                                                                 else repr(value))
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    return str(value)


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.one_of(st.sampled_from(sorted(PARSERS)),
                                 st.from_regex(r"[a-z_]{1,12}", fullmatch=True)),
                       toml_scalar, max_size=4))
def test_profile_values_are_validated_cleanly(tmp_path, values):
    path = tmp_path / "prop.toml"
    path.write_text("\n".join(f"{k} = {_toml_value(v)}" for k, v in values.items()) + "\n",
                    encoding="utf-8")
    try:
        profile = load_profile(str(path))
    except UsageError as exc:
        message = str(exc)
        assert message.startswith("profile prop.toml:") and "\n" not in message.strip()
        return
    assert set(profile.settings) <= set(PARSERS)


valid_settings = st.fixed_dictionaries({}, optional={
    "hint": st.sampled_from(["throughput", "latency", "none"]),
    "requests": st.integers(min_value=1, max_value=64),
    "time": st.floats(min_value=0.1, max_value=1e3),
    "pin": st.booleans(),
    "device": st.sampled_from(["CPU", "AUTO:CPU", "HETERO:CPU"]),
    "shape": st.sampled_from(["[1,3,224,224]", "input.1[1,128],x:0[1,128]"]),
    "description": st.text(max_size=30)})


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(valid_settings)
def test_valid_profiles_load_with_their_values(tmp_path, values):
    """The success branch, reached on purpose: every valid value comes back as written,
    strings with quotes, backslashes and control characters included."""
    path = tmp_path / "ok.toml"
    path.write_text("\n".join(f"{k} = {_toml_value(v)}" for k, v in values.items()) + "\n",
                    encoding="utf-8")
    profile = load_profile(str(path))
    assert profile.description == values.pop("description", "")
    assert profile.settings == values


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_profile_from_arbitrary_bytes(tmp_path, data):
    path = tmp_path / "bytes.toml"
    path.write_bytes(data)
    try:
        load_profile(str(path))
    except UsageError as exc:
        assert str(exc).startswith("profile bytes.toml:")


RUN_OPTIONS = ["--batch", "--shape", "--gflops", "--seed", "--device", "--hint", "--streams",
               "--threads", "--precision", "--cache-dir", "--requests", "--api", "--time",
               "--iterations", "--warmup", "--until-stable", "--max-time", "--repeat",
               "--profile", "--json"]
FLAGS = ["--pin", "--no-pin", "--recompile", "--roofline", "--perf-counters", "-q"]


#: Options whose values are safe to really run with on a tiny model for one request (no
#: long warm-up, repeat, roofline or profiling pass); nasty values in them must be refused.
REAL_RUN_OPTIONS = ["--batch", "--shape", "--gflops", "--seed", "--device", "--hint",
                    "--streams", "--threads", "--precision", "--requests", "--api", "--time",
                    "--until-stable", "--max-time", "--profile"]
option_values = st.one_of(nasty_text, st.sampled_from(
    ["1", "2", "AUTO", "throughput", "latency", "f32", "async", "sync", "CPU", "0.5", "ci",
     "[1,32,32,3]", "image[2,32,32,3]"]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(REAL_RUN_OPTIONS), option_values), max_size=4))
@example([("--streams", "2"), ("--hint", "latency")])
@example([("--batch", "2"), ("--api", "sync")])
@example([("--shape", "image[2,32,32,3]"), ("--until-stable", "2")])
def test_cli_arguments_run_or_fail_cleanly(tmp_path_factory, capsys, tiny_ir, options):
    """On a real model: either the run succeeds and its JSON says what was asked, or the
    input is refused with one line and exit 2; nothing else (no traceback, no exit 1)."""
    workdir = tmp_path_factory.mktemp("cli")
    out = workdir / "r.json"
    argv = ["run", "-m", tiny_ir, *[part for option in options for part in option],
            "-n", "1", "-q", "--json", str(out)]
    code = main(argv)
    err = capsys.readouterr().err
    if code == 2:
        assert re.fullmatch(r"perfbench: error: [^\n]*\n", err), err
        assert not out.exists()
        return
    assert code == 0, err
    data = json.loads(out.read_text())
    requested = data["config"]["requested"]
    # -n 1 bounds each trial: a profile may ask for several (ci: repeat = 3)
    assert data["status"] == "complete"
    assert data["results"]["completed_requests"] == requested["repeat"]
    for flag, value in dict(options).items():      # the last of a repeated option wins
        key = flag[2:].replace("-", "_")
        if key in requested and value.strip().isdigit():
            assert float(requested[key]) == float(value)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.tuples(st.sampled_from(RUN_OPTIONS), nasty_text),
                          st.tuples(st.sampled_from(FLAGS))), max_size=5))
def test_cli_validation_never_crashes(tmp_path_factory, capsys, options):
    """Every option, flags included, with a missing model: validation must end in one line
    and exit 2 whatever the values (a valid combination ends at 'model file not found')."""
    argv = ["run", "-m", "/nonexistent/model.xml"]
    for option in options:
        argv.extend(option)
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cli"))
    try:
        code = main(argv)
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert code == 2
    assert re.fullmatch(r"perfbench: error: [^\n]*\n", err), err


def test_nothing_evaluates_code_from_files():
    forbidden = re.compile(r"\b(eval|exec)\(|\bpickle\b|\bmarshal\b|yaml\.load\(|__import__")
    offenders = [f"{path.name}:{n}" for path in PACKAGE.rglob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if forbidden.search(line)]
    assert offenders == []


@pytest.mark.parametrize("argv", [
    ["run", "--model", ""], ["run", "--device", ""], ["run", "--json", ""],
    ["run", "--shape", "[1,2"], ["run", "--time", "1e400"], ["run", "--batch", "１"],
    ["run", "--requests", "99999999999999999999"], ["run", "--profile", ""],
    ["run", "--cache-dir", " "], ["info", "--json", "/proc/perfbench/x.json"],
    ["peak", "--precision", "int4"], ["peak", "--time", "-1"], ["save-model"],
])
def test_specific_bad_invocations(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("perfbench: error: ") and err.count("\n") == 1
