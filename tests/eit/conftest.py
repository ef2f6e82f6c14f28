import pytest

from tests.conftest import shared_file


@pytest.fixture(scope="session")
def eit_dir():
    return shared_file("real/eit")


@pytest.fixture(scope="session")
def ref(eit_dir):
    from tandem.eit.engine import load_reference

    return load_reference(eit_dir)
