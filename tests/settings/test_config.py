import dataclasses

import pytest

from perfbench.settings.config import DEFAULT_TIME_S, BenchmarkConfig, build_config, coerce
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
