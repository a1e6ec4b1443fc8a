import dataclasses

import pytest

from perfbench.settings.config import (DEFAULT_MAX_TIME_S, DEFAULT_TIME_S, BenchmarkConfig,
                                       build_config, coerce)
from perfbench.errors import UsageError


@pytest.mark.parametrize("key,raw,expected", [
    ("batch", "4", 4), ("batch", 4, 4), ("time", "2.5", 2.5), ("time", 3, 3.0),
    ("streams", "auto", "AUTO"), ("streams", "3", 3), ("hint", "LATENCY", "latency"),
    ("pin", "false", False), ("pin", True, True), ("warmup", "0", 0.0), ("seed", 0, 0),
    ("precision", "bf16", "bf16"),
])
def test_coerce_accepts_cli_strings_and_toml_values(key, raw, expected):
    assert coerce(key, raw, "--x") == expected


@pytest.mark.parametrize("key,raw", [
    ("batch", "0"), ("batch", -1), ("batch", "1.5"), ("batch", True), ("batch", 2**40),
    ("time", "0"), ("time", "nan"), ("time", "inf"), ("time", "-3"), ("iterations", "0"),
    ("streams", "0"), ("streams", "many"), ("hint", "fast"), ("precision", "int4"),
    ("api", "callback"), ("device", ""), ("device", "   "), ("pin", "maybe"),
    ("warmup", "-1"), ("gflops", "0"), ("requests", "x"),
])
def test_coerce_rejects_bad_values_naming_key_and_origin(key, raw):
    with pytest.raises(UsageError) as err:
        coerce(key, raw, "profile x.toml")
    message = str(err.value)
    assert f"'{key}'" in message and "profile x.toml" in message and "\n" not in message


def test_unknown_key_is_named():
    with pytest.raises(UsageError, match="unknown setting 'bacth'"):
        coerce("bacth", 1, "profile p.toml")


def test_later_layers_win_and_none_does_not_override():
    config = build_config({"hint": "latency", "time": 20.0}, {"time": 5.0, "hint": None})
    assert config.hint == "latency" and config.time == 5.0


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        BenchmarkConfig().batch = 3


def test_default_time_applies_only_without_any_limit():
    assert BenchmarkConfig().time_limit_s == DEFAULT_TIME_S
    assert BenchmarkConfig(iterations=10).time_limit_s is None
    assert BenchmarkConfig(time=2.0, iterations=10).time_limit_s == 2.0


@pytest.mark.parametrize("settings,message", [
    ({"api": "sync", "requests": 4}, "--api sync runs one request at a time"),
    ({"scenario": "single-stream", "requests": 4}, "--scenario single-stream runs one"),
    ({"batch": 2, "shape": "[4,32,32,3]"}, "--batch 2 sets dimension 0"),
    ({"batch": 2, "shape": "ids[2,128],mask[1,128]"}, "gives input 'mask' 1 there"),
    ({"recompile": True}, "--recompile applies between --repeat trials"),
    ({"recompile": True, "repeat": 1}, "--recompile applies between --repeat trials"),
    ({"max_time": 10.0}, "--max-time bounds --until-stable"),
    ({"max_time": 10.0, "time": 5.0}, "--max-time bounds --until-stable"),
])
def test_an_option_that_can_have_no_effect_is_refused(settings, message):
    """Before, each was silently ignored or overridden (a sync run at 4 requests ran 1;
    -b 2 replaced the shape's 4), so the result said something other than what ran."""
    with pytest.raises(UsageError, match=message) as err:
        BenchmarkConfig(**settings)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("settings", [
    {"api": "sync", "requests": 1}, {"scenario": "single-stream", "requests": 1},
    {"batch": 2, "shape": "[2,32,32,3]"}, {"batch": 2, "shape": "ids[2,128],mask[2,128]"},
    {"recompile": True, "repeat": 2}, {"max_time": 10.0, "until_stable": 2.0},
])
def test_options_that_agree_are_accepted(settings):
    assert BenchmarkConfig(**settings)


def test_max_time_defaults_only_under_until_stable():
    assert BenchmarkConfig().max_time is None
    assert BenchmarkConfig(until_stable=1.0).time_limit_s == DEFAULT_MAX_TIME_S


def test_a_time_given_later_drops_the_until_stable_bound_of_an_earlier_layer():
    """`--profile ci -t 5`: the profile's until_stable and its max_time go together."""
    config = build_config({"until_stable": 2.0, "max_time": 8.0, "repeat": 3}, {"time": 5.0})
    assert config.time == 5.0 and config.until_stable is None and config.max_time is None
    with pytest.raises(UsageError, match="--max-time"):
        build_config({"until_stable": 2.0}, {"time": 5.0, "max_time": 8.0})


def test_a_profile_gets_the_same_refusal(tmp_path):
    from perfbench.settings.profiles import load_profile
    path = tmp_path / "p.toml"
    path.write_text("api = \"sync\"\nrequests = 4\n")
    with pytest.raises(UsageError, match="--api sync"):
        build_config(load_profile(str(path)).settings)


@pytest.mark.parametrize("raw", ["-1", -1, "x", "1.5", False])
def test_a_bad_seed_says_that_0_is_allowed(raw):
    """Before: "must be a positive whole number" while 0 is valid (and False passed as 0)."""
    with pytest.raises(UsageError, match="must be a whole number, 0 or more"):
        coerce("seed", raw, "--seed")
    assert coerce("seed", "0", "--seed") == 0 and coerce("seed", " 7 ", "--seed") == 7
