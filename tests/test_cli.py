"""The command-line tool: data info / check / convert / list, and the main job."""

import subprocess
import sys

import urbanrural as ur
from urbanrural.cli import main

from .conftest import DATA


def run(*args):
    return subprocess.run([sys.executable, "-m", "urbanrural", *args], capture_output=True,
                          text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_data_info_prints_coverage():
    r = run("data", "info", "china_provinces")
    assert r.returncode == 0, r.stderr
    assert "population_urban" in r.stdout and "城镇人口" in r.stdout
    assert "2005–2022" in r.stdout and "31/31" in r.stdout


def test_data_check_ok_and_failing():
    ok = run("data", "check", str(DATA / "nbs_exports" / "fen_sheng_nian_du_gdp_zh.csv"))
    assert ok.returncode == 0 and "used: 589" in ok.stdout
    bad = run("data", "check", str(DATA / "malformed" / "unknown_region.csv"))
    assert bad.returncode == 1
    assert "row 3" in bad.stdout and "Bejing" in bad.stdout and "北京市" in bad.stdout


def test_data_convert(tmp_path):
    out = tmp_path / "gdp.xlsx"
    assert main(["data", "convert", str(DATA / "nbs_exports" / "fen_sheng_nian_du_gdp_zh.csv"),
                 str(out), "--layout", "wide_years"]) == 0
    back = ur.read(out)
    assert back.equals(ur.read(DATA / "nbs_exports" / "fen_sheng_nian_du_gdp_zh.csv"))


def test_report_prints_a_summary(tmp_path):
    r = run("report", "--out", str(tmp_path / "rep"))
    assert r.returncode == 0, r.stderr
    assert "城乡收入比" in r.stdout and "index.html" in r.stdout
