from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
# The inputs that tests take from ../shared/data are copied here (tests/data/README.md lists
# each with its provenance), so the suite passes on a plain clone with nothing beside it.
SHARED = DATA


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def default_result():
    """The default analysis, run once per test process (the report fixture writes it)."""
    from urbanrural.pipeline.analysis import run_analysis
    from urbanrural.pipeline.spec import AnalysisSpec

    return run_analysis(AnalysisSpec())


@pytest.fixture(scope="session")
def default_report(tmp_path_factory, default_result) -> Path:
    """The default report, built once for the whole session (the main job on embedded data;
    the command itself, as users run it, is tested in test_cli.py and by CI from the wheel)."""
    from urbanrural.outputs.bundle import write_report

    out = tmp_path_factory.mktemp("default-report") / "report"
    write_report(default_result, out)
    return out
