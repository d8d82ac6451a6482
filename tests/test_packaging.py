"""Install as users do: the built wheel holds every file the package reads at run time.

An editable install reads files straight from ``src/``, so it hides package data that the wheel
leaves out (the framework YAMLs, the bundled font and its licence were missing once, and
``urbanrural report`` failed with FileNotFoundError after ``pip install .``). These tests build
the wheel offline (``--no-build-isolation``: setuptools comes with the test extras) and check it.
``.ci/run`` also installs the wheel in a fresh virtual environment and runs the report.
"""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("setuptools")
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # build in a copy of the tree so that no build/ or egg-info folder is left in the checkout
    tree = build / "tree"
    _copy_tree(ROOT, tree)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(out), str(tree)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (whl,) = out.glob("urbanrural-*.whl")
    return whl


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy what git would ship: pyproject, README, LICENSE and src/ without caches."""
    import shutil

    dst.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(src / name, dst / name)
    shutil.copytree(src / "src", dst / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))


def test_every_non_python_file_under_src_is_in_the_wheel(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = [p for p in (SRC / "urbanrural").rglob("*")
              if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert wanted, "the package has data files; finding none means the glob is wrong"
    missing = [str(p.relative_to(SRC)) for p in wanted if str(p.relative_to(SRC)) not in names]
    assert missing == []
    for must in ("urbanrural/pipeline/frameworks/urban_rural_integration.yaml",
                 "urbanrural/outputs/fonts/wqy-microhei-gb2312.ttf",
                 "urbanrural/outputs/fonts/LICENSE-wqy-microhei.txt",
                 "urbanrural/outputs/static/plotly-basic-3.7.0.min.js.gz",
                 "urbanrural/outputs/templates/sections/national.html.j2",
                 "urbanrural/data/files/china_provinces.parquet"):
        assert must in names


def test_the_wheel_declares_its_licence_and_command(wheel):
    z = zipfile.ZipFile(wheel)
    names = z.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta
    entry = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "urbanrural = urbanrural.cli:main" in entry


def test_the_installed_wheel_finds_its_frameworks_font_and_data(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    probe = (
        "import urbanrural as ur, pathlib, sys\n"
        f"assert pathlib.Path(ur.__file__).is_relative_to({str(target)!r}), ur.__file__\n"
        "from urbanrural.pipeline.framework import BUILTIN_FRAMEWORKS, load_framework\n"
        "for name in BUILTIN_FRAMEWORKS: load_framework(name)\n"
        "from urbanrural.outputs.typeface import font_path\n"
        "assert font_path().is_file()\n"
        "assert len(ur.load_dataset('china_provinces').regions) == 31\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "ok"
