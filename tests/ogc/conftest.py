import pytest

from tests.ogc.builders import build_world


@pytest.fixture
def world(db):
    return build_world()
