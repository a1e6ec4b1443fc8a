"""The README stays a README: short, its commands the ones CI runs, its links alive.

mkdocs checks the links between pages under docs/, but the README lives outside the site,
so its relative links (to docs/ pages and the screenshot) are checked here.
"""

import re
from pathlib import Path

from tests.processes import CHECKOUT

ROOT = Path(CHECKOUT)
README = (ROOT / "README.md").read_text()


def _code_block_after(heading_text: str) -> str:
    section = README[README.index(heading_text):]
    return re.search(r"```\n(.*?)```", section, re.S).group(1).strip()


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 200


def test_the_test_command_is_the_one_ci_runs():
    """The tests section shows one command, and it is a line of .ci/run (a second block,
    a fast subset, once read as the README's test command and was not what CI ran)."""
    section = README[README.index("Run the tests"):]
    section = section[:section.index("\n## ")]
    blocks = [b.strip() for b in re.findall(r"```\n(.*?)```", section, re.S)]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert len(blocks) == 1 and blocks[0] in ci, f"{blocks!r}: not one line of .ci/run"


def test_the_quick_start_runs_the_built_in_model():
    assert _code_block_after("Install and run") == "python3 -m pip install . && perfbench run"


def test_every_relative_link_in_the_readme_resolves():
    targets = re.findall(r"\]\(((?!https?://)[^)#\s]+)(?:#[^)]*)?\)", README)
    assert any(t.startswith("docs/") for t in targets)
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert missing == []


def test_the_screenshot_is_small():
    shot = ROOT / "docs" / "img" / "report-run.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size < 300_000
