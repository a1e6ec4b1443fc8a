import json
import os
import subprocess
import sys

import pytest

from tests.processes import CHECKOUT, MARKER_TIMEOUT_S
from perfbench.errors import UsageError
from perfbench.files import atomic_write, check_writable

# A writer that dies mid-way: with SIGKILL after half of the text reached the temp file,
# or just before the rename.
KILLED_WRITER = """
import os, signal, sys
sys.path.insert(0, {root!r})
from perfbench import files
mode, path = sys.argv[1], sys.argv[2]
text = '{{"new": "' + 'x' * 5_000_000 + '"}}'
if mode == 'during-write':
    real_fdopen = os.fdopen
    class Dying:
        def __init__(self, handle): self.handle = handle
        def __enter__(self): return self
        def __exit__(self, *exc): self.handle.close()
        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    files.os.fdopen = lambda fd, *a, **k: Dying(real_fdopen(fd, *a, **k))
else:
    def dying_replace(src, dst):
        os.kill(os.getpid(), signal.SIGKILL)
    files.os.replace = dying_replace
files.atomic_write(path, text)
"""


@pytest.mark.parametrize("mode", ["during-write", "before-rename"])
def test_killed_writer_never_leaves_a_truncated_file(tmp_path, mode):
    target = tmp_path / "result.json"
    target.write_text('{"old": 1}')
    script = KILLED_WRITER.format(root=CHECKOUT)
    # (the writer imports perfbench, hence OpenVINO: slow on a loaded machine, so the
    # timeout is only for a hung one)
    proc = subprocess.run([sys.executable, "-c", script, mode, str(target)],
                          timeout=MARKER_TIMEOUT_S)
    assert proc.returncode == -9
    assert json.loads(target.read_text()) == {"old": 1}


def test_atomic_write_replaces_and_cleans_up(tmp_path):
    target = tmp_path / "r.json"
    atomic_write(str(target), '{"a": 1}')
    atomic_write(str(target), '{"a": 2}')
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_failed_write_removes_temp_file(tmp_path):
    with pytest.raises(TypeError):
        atomic_write(str(tmp_path / "r.json"), None)
    assert list(tmp_path.iterdir()) == []


def test_check_writable(tmp_path):
    check_writable("-", "--json")
    check_writable(str(tmp_path / "new.json"), "--json")
    with pytest.raises(UsageError, match="is a directory"):
        check_writable(str(tmp_path), "--json")
    check_writable(str(tmp_path / "cache" / "deep" / "h.db"), "--history")   # CI caches
    assert (tmp_path / "cache" / "deep").is_dir() and not list((tmp_path / "cache" / "deep").iterdir())
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot write in"):
        check_writable(str(blocker / "r.json"), "--json")
    # os.access says yes to root even here; a real probe file does not
    with pytest.raises(UsageError, match="--json: cannot write in /proc"):
        check_writable("/proc/x.json", "--json")
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        with pytest.raises(UsageError, match="cannot write in"):
            check_writable(str(locked / "r.json"), "--json")


def test_replacing_a_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path):
    shared = tmp_path / "shared.json"
    shared.write_text("{}")
    shared.chmod(0o644)
    atomic_write(str(shared), "[]")
    assert shared.stat().st_mode & 0o777 == 0o644 and shared.read_text() == "[]"
    old = os.umask(0o027)
    try:
        atomic_write(str(tmp_path / "new.json"), "[]")
    finally:
        os.umask(old)
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o640


def test_json_is_strict():
    from perfbench.files import json_text
    with pytest.raises(ValueError):
        json_text({"change_pct": float("inf")})
