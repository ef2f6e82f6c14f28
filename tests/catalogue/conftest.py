import pytest

from tests.conftest import shared_file


@pytest.fixture(scope="session")
def tee_folder():
    return shared_file("real/catalogue/tee")


@pytest.fixture(scope="session")
def tee_catalogue(tee_folder):
    from tandem.catalogue.eligibility.tee import read_tee_catalogue

    return read_tee_catalogue(tee_folder)
