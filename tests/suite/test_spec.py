"""The suite file: entries named once, every bad input one UsageError before anything runs."""

import pytest

from perfbench.errors import UsageError
from perfbench.suite.spec import entry_name, load_suite, select


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_entries_are_models_times_matrix_named_once(tmp_path, tiny_ir):
    spec = load_suite(_write(tmp_path, f"""
        name = "zoo"
        time_limit = "2m"
        [defaults]
        time = 3
        [matrix]
        precision = ["bf16", "f32"]
        hint = ["throughput", "latency"]
        [[models]]
        model = "{tiny_ir}"
        batch = 2
        time_limit = 30
        [[models]]
        model = "builtin"
    """))
    assert spec.name == "zoo"
    assert spec.names() == ["tiny.bf16.throughput", "tiny.bf16.latency", "tiny.f32.throughput",
                            "tiny.f32.latency", "builtin.bf16.throughput",
                            "builtin.bf16.latency", "builtin.f32.throughput",
                            "builtin.f32.latency"]
    first = spec.entries[0]
    assert first.settings == {"time": 3.0, "batch": 2, "precision": "bf16",
                              "hint": "throughput"}
    assert first.time_limit_s == 30 and spec.entries[-1].time_limit_s == 120
    assert spec.entries[-1].model is None and first.model == tiny_ir


def test_relative_model_paths_are_read_from_the_suite_files_directory(tmp_path, tiny_ir):
    import shutil
    shutil.copy(tiny_ir, tmp_path / "m.xml")
    shutil.copy(tiny_ir[:-4] + ".bin", tmp_path / "m.bin")
    spec = load_suite(_write(tmp_path, '[[models]]\nmodel = "m.xml"\n'))
    assert spec.entries[0].model == str(tmp_path / "m.xml") and spec.name == "s"


def test_entry_name_is_file_safe():
    assert entry_name("a b/c", {"shape": "[1,3]", "pin": True}) == "a_b_c._1_3_.true"
    assert entry_name(".hidden", {}) == "hidden"        # never a hidden file


@pytest.mark.parametrize("body, words", [
    ('colour = 1\n[[models]]\nmodel = "builtin"', "unknown key 'colour'"),
    ('[[models]]\nmodel = "builtin"\nhint = "fastest"', "'hint' must be one of"),
    ('[defaults]\nthreadz = 2\n[[models]]\nmodel = "builtin"', "unknown setting 'threadz'"),
    ('[defaults]\nbatch = 0\n[[models]]\nmodel = "builtin"', "'batch'"),
    ('[[models]]\nmodel = "nowhere.xml"', "model file not found: nowhere.xml"),
    ('[[models]]\nmodel = "builtin"\n[[models]]\nmodel = "builtin"', "two entries are named"),
    ('[[models]]\nmodel = "builtin"\nname = "ResNet"\n[[models]]\nmodel = "builtin"\n'
     'name = "resnet"', "named 'resnet' (names differing only in case"),
    ('[matrix]\n[[models]]\nmodel = "builtin"', "[matrix] is empty"),
    ('[matrix]\nhint = []\n[[models]]\nmodel = "builtin"', "'hint' needs a non-empty list"),
    ('[matrix]\nhint = ["latency", "slow"]\n[[models]]\nmodel = "builtin"', "'hint'"),
    ('[matrix]\nhint = ["latency"]\n[[models]]\nmodel = "builtin"\nhint = "latency"',
     "which the [matrix] varies"),
    ('[defaults]\nrequests = 4\napi = "sync"\n[[models]]\nmodel = "builtin"', "--api sync"),
    ('[defaults]\ndata_shape = "[1][2]"\n[[models]]\nmodel = "builtin"', "not a suite setting"),
    ('name = "x"', "at least one [[models]]"),
    ('[[models]]\nmodel = "builtin"\ntime_limit = "soon"', "'time_limit'"),
    ('[[models', "not valid TOML"),
    ('[[models]]\nmodel = "builtin"\nname = "suite"', "may not be named 'suite'"),
    ('[[models]]\nmodel = "builtin"\nname = "Suite"', "may not be named 'Suite'"),
])
def test_bad_input_is_one_usage_error(tmp_path, body, words):
    with pytest.raises(UsageError) as info:
        load_suite(_write(tmp_path, body))
    assert words in str(info.value) and "\n" not in str(info.value)


def test_missing_suite_file(tmp_path):
    with pytest.raises(UsageError, match="suite file not found"):
        load_suite(str(tmp_path / "none.toml"))


def test_select_refuses_an_unknown_name(tmp_path):
    spec = load_suite(_write(tmp_path, '[[models]]\nmodel = "builtin"'))
    assert select(spec, []) == {"builtin"}
    with pytest.raises(UsageError, match="no entry named 'other'"):
        select(spec, ["other"])


def test_a_models_time_replaces_the_defaults_until_stable(tmp_path):
    """As a profile's until_stable gives way to --time (issue 30, item 17): it was refused
    as 'until_stable and time together'."""
    spec = load_suite(_write(tmp_path, """
        [defaults]
        until_stable = 2
        max_time = 30
        [[models]]
        model = "builtin"
        time = 5
        [[models]]
        model = "builtin"
        name = "stable"
    """))
    quick, stable = spec.entries
    assert quick.settings == {"time": 5.0} and quick.config.until_stable is None
    assert stable.settings == {"until_stable": 2.0, "max_time": 30.0}


def test_description_must_be_text(tmp_path):
    with pytest.raises(UsageError, match="'description' must be a string"):
        load_suite(_write(tmp_path, 'description = 5\n[[models]]\nmodel = "builtin"'))
