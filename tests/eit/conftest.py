import pytest

from tests.conftest import shared_file


@pytest.fixture(scope="session")
def eit_dir():
    return shared_file("real/eit")


@pytest.fixture(scope="session")
def ref(eit_dir):
    from tandem.eit.engine import load_reference

    return load_reference(eit_dir)


@pytest.fixture
def ewc(db, ref):
    """The European List of Waste in the database (loaded by the product's own loader), for this test."""
    from tandem.eit.models import WasteCode
    from tandem.eit.reference import waste_codes_load

    if not WasteCode.objects.exists():
        waste_codes_load(ref=ref)
    return WasteCode.objects.count()
