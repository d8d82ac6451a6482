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
def default_report(tmp_path_factory) -> Path:
    """The default report, built once for the whole session (the main job on embedded data)."""
    from urbanrural.cli import main

    out = tmp_path_factory.mktemp("default-report") / "report"
    assert main(["report", "--out", str(out)]) == 0
    return out
