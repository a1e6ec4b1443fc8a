"""Test what users install: the wheel, installed outside the checkout, run from elsewhere.

Every other test imports the checkout (pytest puts it on ``sys.path``), so a module missing
from the wheel would pass them all.  Here the wheel is built, installed into a fresh
virtual environment that sees only the test environment's *dependencies* (openvino, numpy,
rich, psutil, through a ``.pth`` file, which does not run the editable install's finder),
and driven through its console script from a temporary directory with no ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the tree: setuptools reuses an in-tree build/ directory, whose
    stale modules would otherwise ship (and hide a module that went missing)."""
    source = tmp_path_factory.mktemp("src") / "perfbench"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(source)], check=True, timeout=300,
                   capture_output=True)
    (built,) = dist.glob("perfbench-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; dependencies come from the test environment."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True,
                   timeout=120)
    python = root / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"], check=True,
                             capture_output=True, text=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
            *site.getsitepackages()}
    Path(purelib, "_perfbench_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300,
                   capture_output=True)
    return root


def _run(venv: Path, cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=_clean_env(),
                          capture_output=True, text=True, timeout=timeout)


def test_wheel_holds_every_source_module_and_the_profiles(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "perfbench = perfbench.entry:main" in archive.read(entry_points).decode()
    shipped = {n for n in names if n.endswith(".py")}
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "perfbench").rglob("*.py")
              if "__pycache__" not in p.parts}
    assert shipped == source
    profiles = {p.name for p in (ROOT / "profiles").glob("*.toml")}
    assert profiles and {n.rsplit("/", 1)[1] for n in names if n.endswith(".toml")} == profiles


def test_every_module_imports_from_the_installed_wheel(venv, tmp_path):
    script = ("import importlib, pkgutil, perfbench\n"
              "names = [m.name for m in pkgutil.walk_packages(perfbench.__path__, 'perfbench.')\n"
              "         if not m.name.endswith('__main__')]\n"
              "for name in names: importlib.import_module(name)\n"
              "print(perfbench.__file__); print(len(names))\n")
    done = _run(venv, tmp_path, "python", "-c", script)
    assert done.returncode == 0, done.stderr
    location, count = done.stdout.split()
    assert Path(location).is_relative_to(venv) and not Path(location).is_relative_to(ROOT)
    modules = [p for p in (ROOT / "perfbench").rglob("*.py") if "__pycache__" not in p.parts
               and p.name != "__main__.py" and p != ROOT / "perfbench" / "__init__.py"]
    assert int(count) == len(modules)


def test_console_script_runs_every_command_from_the_wheel(venv, tiny_ir, tmp_path):
    outputs = ["--json", "r.json", "--export-gab", "gab", "--export-bmf", "b.json",
               "--export-csv", "c.csv", "--history", "hist/h.db"]
    tmp_path.joinpath("hist").mkdir()
    done = _run(venv, tmp_path, "perfbench", "run", "-m", tiny_ir, "-n", "40", "-q", *outputs)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["status"] == "complete" and result["results"]["completed_requests"] == 40
    bigger = json.loads((tmp_path / "gab-bigger.json").read_text())
    assert {e["name"].rsplit(" - ", 1)[1] for e in bigger} == {"fps", "gflops"}
    bmf = json.loads((tmp_path / "b.json").read_text())
    assert next(iter(bmf.values()))["throughput"]["value"] == result["results"]["fps"]
    assert (tmp_path / "c.csv").read_text().startswith("benchmark,metric")

    done = _run(venv, tmp_path, "perfbench", "compare", "r.json", "r.json", "--json", "cmp.json")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "cmp.json").read_text())["regression"] is False

    done = _run(venv, tmp_path, "perfbench", "history", "hist/h.db")
    assert done.returncode == 0 and "tiny" in done.stdout, done.stderr

    done = _run(venv, tmp_path, "perfbench", "profiles")
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in ("ci", "latency", "sizing", "throughput"))

    done = _run(venv, tmp_path, "perfbench", "sweep", "-m", tiny_ir, "--streams", "1",
                "--point-time", "1", "-q", "--json", "s.json")
    assert done.returncode == 0, done.stderr
    sweep = json.loads((tmp_path / "s.json").read_text())
    assert sweep["status"] == "complete"
    assert [p["status"] for p in sweep["points"]] == ["done", "done"]
