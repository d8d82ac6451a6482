"""--out never deletes what urbanrural did not write (issue 9, item 1).

The cheap ``gaps`` command (about half a second on the embedded data) stands in for every
command that writes a folder; they all go through :mod:`urbanrural.outputs.destination`. A
"complete" output is one whose marker lists exactly the files present and whose CSV files are
byte for byte those of an uninterrupted reference run.
"""

import json
import os
import shutil
import signal
from pathlib import Path

import matplotlib.pyplot  # noqa: F401 - matplotlib set up under the real HOME
import pandas as pd
import pytest

import urbanrural.outputs.tables as tables_module
from urbanrural.cli import main
from urbanrural.outputs import destination
from urbanrural.outputs.destination import MARKER, DestinationError, OutputFolder, read_marker

GAPS = ["gaps", "--data", "china_provinces"]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Staging and backup folders left in ``folder`` (the marker is not one)."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".urbanrural-") and p.name != MARKER)


def assert_complete(folder: Path, reference: Path) -> None:
    """``folder`` holds one complete gaps output equal to ``reference``."""
    marker = read_marker(folder)
    assert marker is not None and marker["command"] == "gaps"
    present = sorted(k for k in snapshot(folder) if k != MARKER)
    assert marker["files"] == present == sorted(k for k in snapshot(reference) if k != MARKER)
    for name in present:
        if name.endswith(".csv"):
            assert (folder / name).read_bytes() == (reference / name).read_bytes(), name
    # the workbook is whole (a truncated xlsx does not open)
    assert len(pd.read_excel(folder / "gaps.xlsx", sheet_name=None, engine="calamine")) >= 5


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    """Two reference outputs that differ in content: macro-region and three-belt partitions."""
    base = tmp_path_factory.mktemp("refs")
    assert main([*GAPS, "--out", str(base / "macro")]) == 0
    assert main([*GAPS, "--partition", "three_belts", "--out", str(base / "belts")]) == 0
    assert snapshot(base / "macro")["dagum.csv"] != snapshot(base / "belts")["dagum.csv"]
    return base / "macro", base / "belts"


@pytest.fixture
def no_compute(monkeypatch):
    """Make every computation fail loudly: a refusal must come before any of them."""
    import urbanrural.pipeline.analysis as analysis
    import urbanrural.pipeline.dynamics as dyn
    import urbanrural.pipeline.gaps as gaps
    import urbanrural.pipeline.index as index

    def boom(*a, **k):
        raise AssertionError("computation ran before the destination was checked")

    for mod, name in ((gaps, "run_gaps"), (index, "run_index"), (dyn, "run_dynamics"),
                      (analysis, "run_analysis")):
        monkeypatch.setattr(mod, name, boom)


COMMANDS = {
    "gaps": GAPS,
    "index": ["index", "--data", "china_provinces"],
    "dynamics": ["dynamics", "--permutations", "9"],
    "report": ["report"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("where", ["dot", "dotdot", "ancestor", "root", "home", "file"])
def test_dangerous_destinations_refused_before_computing(command, where, tmp_path, monkeypatch,
                                                         no_compute, capsys):
    work = tmp_path / "work"
    home = tmp_path / "home"
    for d in (work, home):
        d.mkdir()
        (d / "keep.txt").write_text("the user's", encoding="utf-8")
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    out = {"dot": ".", "dotdot": "reports/..", "ancestor": str(tmp_path), "root": "/",
           "home": "~", "file": "keep.txt"}[where]
    before = snapshot(tmp_path)
    assert main([*COMMANDS[command], "--out", out]) == 2
    text = capsys.readouterr().out
    assert "cannot write to" in text and "不能写入" in text
    assert {"dot": "current folder", "dotdot": "current folder", "ancestor": "contains it",
            "root": "root of the file system", "home": "home folder",
            "file": "is a file"}[where] in text.replace("\n", " ")
    assert "Traceback" not in text
    assert snapshot(tmp_path) == before


def test_users_folder_refused_and_left_intact(tmp_path, no_compute, capsys):
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes", encoding="utf-8")
    (mine / "sub" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    before = snapshot(mine)
    assert main([*GAPS, "--out", str(mine)]) == 2
    text = " ".join(capsys.readouterr().out.split())
    assert "not an urbanrural output" in text and "notes.txt" in text and "--force" in text
    assert snapshot(mine) == before
    assert leftovers(tmp_path) == []


def test_force_replaces_only_the_files_it_writes(tmp_path, refs):
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes", encoding="utf-8")
    (mine / "sub" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (mine / "dagum.csv").write_text("an old file of the same name", encoding="utf-8")
    assert main([*GAPS, "--out", str(mine), "--force"]) == 0
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (mine / "sub" / "data.csv").read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert (mine / "dagum.csv").read_bytes() == (refs[0] / "dagum.csv").read_bytes()
    marker = read_marker(mine)
    assert marker["files"] == sorted(k for k in snapshot(refs[0]) if k != MARKER)
    assert "notes.txt" not in marker["files"]
    assert leftovers(tmp_path) == [] and leftovers(mine) == []
    # the user's files are still there, so without --force the folder is refused next time
    before = snapshot(mine)
    assert main([*GAPS, "--out", str(mine)]) == 2
    assert snapshot(mine) == before


def test_previous_output_is_replaced_whole(tmp_path, refs):
    out = tmp_path / "g"
    shutil.copytree(refs[1], out)
    # a file an earlier version wrote and this run does not: it was ours, so it goes
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    marker["files"].append("old_table.csv")
    (out / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    (out / "old_table.csv").write_text("x\n1\n", encoding="utf-8")
    assert main([*GAPS, "--out", str(out)]) == 0
    assert_complete(out, refs[0])
    assert not (out / "old_table.csv").exists()
    assert leftovers(tmp_path) == []


def test_previous_output_with_a_users_file_is_refused(tmp_path, refs, no_compute, capsys):
    out = tmp_path / "g"
    shutil.copytree(refs[0], out)
    (out / "my_chart.png").write_bytes(b"\x89PNG mine")
    before = snapshot(out)
    assert main([*GAPS, "--out", str(out)]) == 2
    text = " ".join(capsys.readouterr().out.split())
    assert "my_chart.png" in text and "did not write" in text
    assert snapshot(out) == before


def test_a_link_to_a_folder_is_resolved(tmp_path, refs):
    real = tmp_path / "real"
    shutil.copytree(refs[1], real)
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    assert main([*GAPS, "--out", str(tmp_path / "link")]) == 0
    assert (tmp_path / "link").is_symlink()
    assert_complete(real, refs[0])


def test_write_report_refuses_a_users_folder_itself(tmp_path):
    """The Python API is as safe as the CLI: the check comes before the bundle is touched."""
    from urbanrural.outputs.bundle import write_report

    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DestinationError, match="not an urbanrural output"):
        write_report(None, tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


# ----------------------------------------------------------------- interrupted and killed runs

def interrupt_after_writing(monkeypatch):
    real = tables_module.write_tables

    def write_then_interrupt(tables, folder, **kw):
        real(tables, folder, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(tables_module, "write_tables", write_then_interrupt)


@pytest.mark.parametrize("previous", [False, True])
def test_ctrl_c_exits_130_with_no_partial_output(previous, tmp_path, refs, monkeypatch, capsys):
    out = tmp_path / "new" / "deep" / "g"
    if previous:
        shutil.copytree(refs[1], out)
    before = snapshot(tmp_path)
    interrupt_after_writing(monkeypatch)
    try:
        rc = main([*GAPS, "--out", str(out)])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")
    assert rc == 130
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0] and "已中断" in lines[0]
    assert snapshot(tmp_path) == before  # nothing new, nothing lost
    if not previous:
        assert not (tmp_path / "new").exists()  # the parents it made are gone too
    else:
        assert leftovers(out.parent) == []


def test_ctrl_c_while_computing(tmp_path, refs, monkeypatch, capsys):
    import urbanrural.pipeline.gaps as gaps

    out = tmp_path / "g"
    shutil.copytree(refs[1], out)
    before = snapshot(tmp_path)

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(gaps, "run_gaps", interrupted)
    try:
        rc = main([*GAPS, "--out", str(out)])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")
    assert rc == 130 and len(capsys.readouterr().out.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before


def test_interrupted_between_the_two_renames_rolls_back(tmp_path, refs, monkeypatch):
    """Without renameat2 the swap is two renames; an exception between them puts the previous
    output back."""
    out = tmp_path / "g"
    shutil.copytree(refs[1], out)
    before = snapshot(out)
    monkeypatch.setattr(destination, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def rename(src, dst):
        if Path(src).name.startswith(".urbanrural-staging-"):
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    try:
        rc = main([*GAPS, "--out", str(out)])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")
    assert rc == 130
    assert snapshot(out) == before and leftovers(tmp_path) == []
    monkeypatch.setattr(os, "rename", real_rename)
    assert main([*GAPS, "--out", str(out)]) == 0  # the fallback swap itself works
    assert_complete(out, refs[0])
    assert leftovers(tmp_path) == []


def killed(argv: list[str], patch) -> None:
    """Run ``main(argv)`` in a forked child that ``patch`` arranges to SIGKILL itself at some
    step: no ``finally``, no clean-up code runs, as with a real kill."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            patch()
            main(argv)
        finally:
            os._exit(3)  # reached only if the kill did not happen
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status


def sigkill():
    os.kill(os.getpid(), signal.SIGKILL)


def test_killed_while_writing_leaves_the_previous_output(tmp_path, refs):
    out = tmp_path / "g"
    shutil.copytree(refs[1], out)
    before = snapshot(out)

    def kill_at_third_csv():
        real, calls = pd.DataFrame.to_csv, []

        def to_csv(self, *a, **k):
            calls.append(1)
            if len(calls) == 3:
                sigkill()
            return real(self, *a, **k)

        pd.DataFrame.to_csv = to_csv

    killed([*GAPS, "--out", str(out)], kill_at_third_csv)
    assert snapshot(out) == before  # untouched: the half-written files are in the staging
    assert len(leftovers(tmp_path)) == 1
    assert main([*GAPS, "--out", str(out)]) == 0  # the next run clears the killed staging
    assert_complete(out, refs[0])
    assert leftovers(tmp_path) == []


def test_killed_between_the_two_renames_is_recovered(tmp_path, refs):
    out = tmp_path / "g"
    shutil.copytree(refs[1], out)
    before = snapshot(out)

    def kill_at_second_rename():
        destination._exchange = lambda a, b: False
        real = os.rename

        def rename(src, dst):
            if Path(src).name.startswith(".urbanrural-staging-"):
                sigkill()
            real(src, dst)

        os.rename = rename

    killed([*GAPS, "--out", str(out)], kill_at_second_rename)
    # the previous output is complete under the backup name beside it
    backups = [p for p in tmp_path.iterdir() if p.name.startswith(".urbanrural-backup-")]
    assert not out.exists() and len(backups) == 1
    assert snapshot(backups[0]) == before
    # the next run to that destination renames it back before anything else
    dest = OutputFolder(out, command="gaps")
    assert snapshot(out) == before and "restored" in dest.notes[0]
    assert all(not p.name.startswith(".urbanrural-backup-") for p in tmp_path.iterdir())
    assert main([*GAPS, "--out", str(out)]) == 0
    assert_complete(out, refs[0])
    assert leftovers(tmp_path) == []


def test_killed_after_the_swap_leaves_the_new_output(tmp_path, refs):
    out = tmp_path / "g"
    shutil.copytree(refs[1], out)

    def kill_before_removing_the_old():
        destination._remove = lambda path: sigkill()

    killed([*GAPS, "--out", str(out)], kill_before_removing_the_old)
    assert_complete(out, refs[0])
    assert len(leftovers(tmp_path)) == 1  # the old output, under the staging name
    OutputFolder(out, command="gaps")  # the next run clears it
    assert leftovers(tmp_path) == []
    assert_complete(out, refs[0])


def test_ctrl_c_inside_a_c_callback_is_not_lost(tmp_path, monkeypatch, capsys):
    """numba's compiler calls back into Python through ctypes; a Ctrl-C landing there is
    'ignored' by Python with a traceback and the run would go on to write its output."""
    import ctypes
    import time

    import urbanrural.pipeline.gaps as gaps

    @ctypes.CFUNCTYPE(None)
    def callback():
        raise KeyboardInterrupt

    def run_gaps(*a, **k):
        callback()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:  # Python work after the callback returned
            time.sleep(0.005)
        raise AssertionError("the interrupt was lost")

    monkeypatch.setattr(gaps, "run_gaps", run_gaps)
    out = tmp_path / "g"
    try:
        rc = main([*GAPS, "--out", str(out)])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")
    captured = capsys.readouterr()
    assert rc == 130
    assert "Traceback" not in captured.err and "Exception ignored" not in captured.err
    assert len(captured.out.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
