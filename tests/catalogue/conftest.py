import pytest

from tests.catalogue.data import Catalogue, build_catalogue


@pytest.fixture
def catalogue(db) -> Catalogue:
    return build_catalogue()
