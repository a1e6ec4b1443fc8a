import errno
import json
import os
import stat
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


def test_a_symlink_is_written_through_not_replaced(tmp_path):
    """`-o link.html` turned the link into a regular file (issue 30, item 12)."""
    target = tmp_path / "real" / "page.html"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    atomic_write(str(link), "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".perfbench-")]


def test_a_fifo_is_written_through(tmp_path):
    """A FIFO was replaced by a regular file: its reader got nothing."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)     # the reader, already there
    try:
        atomic_write(str(fifo), "through the pipe")
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)


def test_a_device_is_written_to_not_replaced(tmp_path):
    """As root, --markdown /dev/full replaced the device with a regular file; written
    through, it is the device's own answer (no space), which the outputs turn into one
    line.  Reached through symlinks in tmp_path, so that the old code replaced a link,
    never a device of this machine."""
    for device in ("/dev/null", "/dev/full"):
        if not os.path.exists(device):
            continue
        link = tmp_path / os.path.basename(device)
        link.symlink_to(device)
        try:
            atomic_write(str(link), "x" * 100000)
        except OSError as exc:
            assert device == "/dev/full" and exc.errno == errno.ENOSPC
        else:
            assert device == "/dev/null"
        assert link.is_symlink() and stat.S_ISCHR(os.stat(device).st_mode)
