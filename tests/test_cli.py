"""The command-line tool: data info / check / convert / list, and the main job."""

import os
import shutil
import subprocess
import sys

import pytest

import urbanrural as ur
from urbanrural import cli
from urbanrural.cli import main
from urbanrural.outputs.destination import MARKER, OutputFolder, read_marker

from .conftest import DATA

GDP_CSV = DATA / "nbs_exports" / "fen_sheng_nian_du_gdp_zh.csv"


def run(*args):
    # a bare environment (no HOME, no locale), but the PYTHONPATH of a checkout under test
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run([sys.executable, "-m", "urbanrural", *args], capture_output=True,
                          text=True, env=env)


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


def test_report_prints_a_summary_and_replaces_a_previous_report(tmp_path):
    out = tmp_path / "rep"
    with OutputFolder(out, command="report").writing() as previous:  # an earlier report
        (previous / "index.html").write_text("old page", encoding="utf-8")
        (previous / "figures").mkdir()
        (previous / "figures" / "a_chart_no_longer_drawn.png").write_bytes(b"old")
    # the command as users run it (a subprocess); two sections keep it quick, the whole default
    # report is the session fixture of tests/test_report.py
    r = run("report", "--sections", "coverage,national,methods", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "全国城乡关系" in r.stdout and "index.html" in r.stdout
    marker = read_marker(out)
    assert marker["command"] == "report"
    present = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                     if p.is_file() and p.name != MARKER)
    assert marker["files"] == present
    assert {"index.html", "results.xlsx", "analysis.yaml", "figures/national_income_ratio.png"} \
        <= set(present)
    assert not (out / "figures" / "a_chart_no_longer_drawn.png").exists()
    assert (out / "index.html").stat().st_size > 1_000_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".urbanrural-")]


def test_report_ctrl_c_leaves_the_previous_report(tmp_path, monkeypatch, capsys):
    import urbanrural.pipeline.analysis as pipeline_analysis

    out = tmp_path / "rep"
    with OutputFolder(out, command="report").writing() as previous:
        (previous / "index.html").write_text("old page", encoding="utf-8")

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline_analysis, "run_analysis", interrupted)
    try:
        rc = main(["report", "--out", str(out)])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")
    assert rc == 130
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0]
    assert (out / "index.html").read_text(encoding="utf-8") == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


# ------------------------------------------------------------------- data convert destinations

@pytest.fixture
def gdp_copy(tmp_path):
    f = tmp_path / "in" / "gdp.csv"
    f.parent.mkdir()
    shutil.copy(GDP_CSV, f)
    return f


@pytest.mark.parametrize("how", ["same", "dotdot", "symlink", "hardlink"])
@pytest.mark.parametrize("force", [False, True])
def test_data_convert_never_overwrites_its_input(how, force, gdp_copy, capsys):
    original = gdp_copy.read_bytes()
    out = {"same": gdp_copy, "dotdot": gdp_copy.parent / ".." / "in" / "gdp.csv",
           "symlink": gdp_copy.parent / "link.csv", "hardlink": gdp_copy.parent / "hard.csv"}[how]
    if how == "symlink":
        out.symlink_to(gdp_copy)
    elif how == "hardlink":
        os.link(gdp_copy, out)
    assert main(["data", "convert", str(gdp_copy), str(out), *(["--force"] if force else [])]) == 2
    text = " ".join(capsys.readouterr().out.split())
    assert "is the input file" in text and "输入文件" in text
    assert gdp_copy.read_bytes() == original
    assert sorted(p.name for p in gdp_copy.parent.iterdir() if p.name.startswith(".")) == []


def test_data_convert_replaces_an_existing_file_only_with_force(gdp_copy, capsys):
    out = gdp_copy.parent / "long.xlsx"
    out.write_bytes(b"someone's workbook")
    assert main(["data", "convert", str(gdp_copy), str(out)]) == 2
    assert "--force" in capsys.readouterr().out
    assert out.read_bytes() == b"someone's workbook"
    assert main(["data", "convert", str(gdp_copy), str(out), "--force"]) == 0
    assert ur.read(out).equals(ur.read(gdp_copy))
    assert sorted(p.name for p in out.parent.iterdir()) == ["gdp.csv", "long.xlsx"]


@pytest.mark.parametrize("name", ["gdp.json", "gdp", "gdp.xls"])
def test_data_convert_to_an_unknown_type_is_a_clear_error(name, tmp_path, capsys):
    assert main(["data", "convert", str(GDP_CSV), str(tmp_path / name)]) == 2
    text = " ".join(capsys.readouterr().out.split())
    assert "unknown output type" in text and ".csv, .xlsx, .parquet" in text
    assert list(tmp_path.iterdir()) == []


def test_data_convert_ctrl_c_writes_nothing(tmp_path, monkeypatch, capsys):
    def half_written(panel, path, **kw):
        path.write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "write", half_written)
    try:
        rc = main(["data", "convert", str(GDP_CSV), str(tmp_path / "out.csv")])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")
    assert rc == 130 and len(capsys.readouterr().out.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------- labels with markup

def test_labels_with_rich_markup_are_printed_as_text(tmp_path, monkeypatch, capsys):
    f = tmp_path / "odd[red]name.csv"
    f.write_text("地区,年份,指标,数值,单位\n北京市,2020,x[/]y,1,[/]元\n天津市,2020,x[/]y,2,[/]元\n",
                 encoding="utf-8")
    monkeypatch.setattr(cli.console, "_width", 250)
    assert main(["data", "info", str(f)]) == 0
    text = capsys.readouterr().out
    assert "x[/]y" in text and "[/]元" in text and "odd[red]name.csv" in text
    assert main(["data", "check", str(f)]) == 0
    assert "odd[red]name.csv: 2 regions" in capsys.readouterr().out


def test_framework_names_with_rich_markup_in_the_index_table(tmp_path, monkeypatch, capsys):
    import yaml

    from urbanrural.pipeline.framework import _builtin_dir

    spec = yaml.safe_load((_builtin_dir() / "common_prosperity.yaml").read_text(encoding="utf-8"))
    spec["name_zh"] = "共同富裕[/]指数"
    spec["name_en"] = "Common [bold]prosperity[/bold] [/]"
    fw = tmp_path / "fw.yaml"
    fw.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(cli.console, "_width", 250)
    assert main(["index", "--framework", str(fw), "--out", str(tmp_path / "idx")]) == 0
    text = capsys.readouterr().out
    assert "共同富裕[/]指数" in text and "Common [bold]prosperity[/bold] [/]" in text


@pytest.mark.parametrize("layout, n_cols", [("wide_years", 23), ("wide_indicators", 4)])
def test_data_convert_to_parquet_writes_the_layout_it_says(tmp_path, layout, n_cols):
    import pyarrow.parquet as pq

    src = DATA / "nbs_exports" / "fen_sheng_nian_du_gdp_zh.csv"
    out = tmp_path / f"gdp_{layout}.parquet"
    assert main(["data", "convert", str(src), str(out), "--layout", layout]) == 0
    assert pq.read_table(out).num_columns == n_cols  # not the long table (6 columns)
    back = ur.read(out)
    assert back.report.layout == layout and back.equals(ur.read(src))


def test_gaps_prints_the_gap_values_and_their_tested_trend(tmp_path):
    r = run("gaps", "--data", "china_national", "--out", str(tmp_path / "g"))
    assert r.returncode == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if "2.81 → 2.56" in line)
    assert "2.81 → 2.56" in row  # integrated-survey income ratio 2013 → 2020
    assert "显著缩小" in row and "narrowing" in row


def test_report_treatment_adds_the_evaluation_section_and_records_it(tmp_path):
    from urbanrural.pipeline.spec import AnalysisSpec

    treatment = tmp_path / "zhejiang.csv"  # the common-prosperity demonstration zone, 2021
    treatment.write_text("region,first_treated\n浙江,2021\n", encoding="utf-8")
    out = tmp_path / "rep"
    assert main(["report", "--sections", "coverage", "--treatment", str(treatment),
                 "--outcome", "gdp", "--out", str(out)]) == 0
    spec = AnalysisSpec.from_yaml(out / "analysis.yaml")
    assert spec.sections == ("coverage", "evaluation")
    assert spec.setting("evaluation").treatment == str(treatment)
    assert spec.setting("evaluation").outcome == "gdp"
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="evaluation"' in page and "政策评估" in page


def test_command_output_cannot_send_terminal_escapes(capsys):
    # a framework or region name is user text: ESC, CR and BEL are shown, never sent
    from urbanrural.commands import say

    say("框架", "x\x1b]0;owned\x07y\rz")
    out = capsys.readouterr().out
    assert out == "框架 x\\x1b]0;owned\\x07y\\x0dz\n"
    assert "\x1b" not in out and "\r" not in out
