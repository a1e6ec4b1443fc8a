"""The README's Python API example runs as written (on a tiny model in its directory)."""

import re
import subprocess
import sys
from pathlib import Path

from tests.models import conv_model, save
from tests.processes import CHECKOUT, checkout_env


def _python_example() -> str:
    text = (Path(CHECKOUT) / "README.md").read_text()
    section = text[text.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_python_api_example_runs(tmp_path):
    save(conv_model(), tmp_path / "model.xml")
    done = subprocess.run([sys.executable, "-c", _python_example()], cwd=tmp_path,
                          capture_output=True, text=True, env=checkout_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert re.fullmatch(r"[\d,.]+ FPS, p99 [\d.]+ ms, \d+ stream\(s\), [\d.]+ GFLOP/s", first)
    assert (tmp_path / "result.json").exists()
