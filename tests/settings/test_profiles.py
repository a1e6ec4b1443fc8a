import pytest

from perfbench.errors import UsageError
from perfbench.settings.profiles import builtin_names, load_profile


def test_builtin_profiles_load():
    assert {"latency", "throughput"} <= set(builtin_names())
    latency = load_profile("latency")
    assert latency.settings["hint"] == "latency" and latency.settings["requests"] == 1
    assert latency.description
    assert "sizing" in builtin_names()
    for name in set(builtin_names()) - {"sizing"}:
        load_profile(name)
    with pytest.raises(UsageError, match="a sweep profile"):
        load_profile("sizing")


def test_profile_by_path(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('hint = "latency"\nbatch = 2\nstreams = "AUTO"\n')
    assert load_profile(str(path)).settings == {"hint": "latency", "batch": 2, "streams": "AUTO"}


@pytest.mark.parametrize("body,match", [
    ('bacth = 2\n', "profile bad.toml: unknown setting 'bacth'"),
    ('batch = "two"\n', "profile bad.toml: 'batch' must be a positive whole number"),
    ('batch = 0\n', "profile bad.toml: 'batch'"),
    ('time = true\n', "profile bad.toml: 'time'"),
    ('hint = "fastest"\n', "profile bad.toml: 'hint' must be one of"),
    ('batch = [1, 2]\n', "profile bad.toml: a sweep profile"),
    ('hint = \n', "profile bad.toml: not valid TOML"),
    ('description = 3\n', "profile bad.toml: 'description' must be a string"),
    ('[run]\nbatch = 1\n', "profile bad.toml: unknown setting 'run'"),
    ('pin = "yes"\n', "profile bad.toml: 'pin' must be true or false"),
    ('time = [1, 2]\n', "profile bad.toml: 'time' must be a finite number"),
])
def test_bad_profiles_name_key_and_file(tmp_path, body, match):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(UsageError, match=match):
        load_profile(str(path))


def test_unknown_profile_lists_builtins(tmp_path):
    with pytest.raises(UsageError, match="built-in profiles: ci, latency, sizing, throughput"):
        load_profile("nonexistent")
    with pytest.raises(UsageError, match="profile file not found"):
        load_profile(str(tmp_path / "missing.toml"))


def test_non_utf8_profile(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_profile(str(path))


def test_an_unknown_key_suggests_the_nearest_known_one(tmp_path):
    """Issue 24, item 15: a misspelt key named the 40 known settings, not the one meant."""
    from perfbench.settings.profiles import load_profile
    bad = tmp_path / "bad.toml"
    bad.write_text("tme = 5\n")
    with pytest.raises(UsageError, match=r"^profile bad.toml: unknown setting 'tme' "
                                         r"\(did you mean 'time'\?\)$"):
        load_profile(str(bad))
    bad.write_text("zzzzzz = 5\n")                      # nothing close: the whole list
    with pytest.raises(UsageError, match="unknown setting 'zzzzzz' \\(known: api, batch"):
        load_profile(str(bad))
