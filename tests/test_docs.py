"""The documentation under docs/ builds, its links hold, and what it states is true.

The README test command runs this file, so a page that breaks the site (a link to a page
or an anchor that is gone, a page left out of the nav) fails the tests, not only a separate
docs job. The Python API example on docs/api.md runs as written, and the JSON key tables
on docs/schemas.md are checked against the documents real runs write.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.models import conv_model, save
from tests.processes import CHECKOUT, checkout_env

ROOT = Path(CHECKOUT)


def _mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess:
    pytest.importorskip("mkdocs", reason="mkdocs is not installed: pip install '.[docs]'")
    pytest.importorskip("material", reason="mkdocs-material is not installed: "
                                           "pip install '.[docs]'")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                          cwd=project, capture_output=True, text=True, timeout=300,
                          env=checkout_env(NO_MKDOCS_2_WARNING="1"))


def _copy_of_the_docs(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    return copy


def test_the_site_builds_strictly(tmp_path):
    done = _mkdocs_build(ROOT, tmp_path / "site")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "ab" / "index.html").exists()


@pytest.mark.parametrize("breakage", [
    ("ab.md", "\nSee [the missing page](no-such-page.md).\n", "no-such-page.md"),
    ("ab.md", "\nSee [a missing section](run.md#no-such-section).\n", "no-such-section"),
    ("orphan.md", "# A page left out of the nav\n", "orphan.md"),
], ids=["page", "anchor", "not-in-nav"])
def test_a_broken_link_or_a_page_outside_the_nav_fails_the_build(tmp_path, breakage):
    page, text, named = breakage
    project = _copy_of_the_docs(tmp_path)
    with (project / "docs" / page).open("a") as out:
        out.write(text)
    done = _mkdocs_build(project, tmp_path / "site")
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert named in said and "Aborted with 1 warnings in strict mode" in said


def _python_example() -> str:
    text = (ROOT / "docs" / "api.md").read_text()
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def test_the_python_api_example_runs(tmp_path):
    save(conv_model(), tmp_path / "model.xml")
    done = subprocess.run([sys.executable, "-c", _python_example()], cwd=tmp_path,
                          capture_output=True, text=True, env=checkout_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert re.fullmatch(r"[\d,.]+ FPS, p99 [\d.]+ ms, \d+ stream\(s\), [\d.]+ GFLOP/s", first)
    assert (tmp_path / "result.json").exists()


def _documented_keys(schema: str) -> tuple[set[str], set[str]]:
    """(every key in the schema's table on docs/schemas.md, the ones marked "(only …)")."""
    text = (ROOT / "docs" / "schemas.md").read_text()
    section = re.search(rf"^## [^\n]*`{re.escape(schema)}`[^\n]*\n(.*?)(?=^## |\Z)", text,
                        re.S | re.M).group(1)
    keys, optional = set(), set()
    for row in re.findall(r"^\| (`[^|]*) \| ([^\n]*) \|$", section, re.M):
        names = set(re.findall(r"`([a-z_0-9]+)`", row[0]))
        keys |= names
        if "(only" in row[1]:
            optional |= names
    return keys, optional


def _assert_documented(schema: str, document: dict) -> None:
    keys, optional = _documented_keys(schema)
    assert document["schema"] == schema
    assert set(document) - keys == set(), "written but not documented"
    assert keys - set(document) <= optional, "documented but not written"


@pytest.fixture(scope="module")
def real_result(tmp_path_factory):
    from perfbench import BenchmarkConfig, run
    model = save(conv_model(), tmp_path_factory.mktemp("docs") / "tiny.xml")
    return run(BenchmarkConfig(model=model, iterations=300))


def test_the_result_schema_table_names_every_key(real_result):
    _assert_documented("perfbench.result", real_result.to_dict())


def test_the_shapes_schema_table_names_every_key(real_result):
    from perfbench.results.shapes import ShapesResult
    _assert_documented("perfbench.shapes", ShapesResult.measured(
        [real_result], 2, error="shape 2 failed").to_dict())


def test_the_comparison_schema_table_names_every_key(real_result):
    from perfbench.tracking.verdict import compare, parse_thresholds
    done = compare([real_result], [real_result], ["a.json"], ["b.json"], parse_thresholds([]))
    _assert_documented("perfbench.comparison", done.to_dict())


def test_the_fleet_report_schema_table_names_every_key(real_result):
    from perfbench.sizing.fleet import hardware_class_of, measured_from, report
    measured = measured_from(real_result.to_dict(), "a.json")
    prices = {hardware_class_of(real_result): 1.0}
    _assert_documented("perfbench.fleet-report",
                       report(measured, 1000.0, None, 0.2, prices).to_dict())
