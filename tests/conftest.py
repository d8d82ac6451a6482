from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
# The inputs that tests take from ../shared/data are copied here (tests/data/README.md lists
# each with its provenance), so the suite passes on a plain clone with nothing beside it.
SHARED = DATA


@pytest.fixture
def data_dir() -> Path:
    return DATA
