import pytest

from tests.planner.board.example import make_worked_example


@pytest.fixture
def worked_example(catalog, patient, clinician):
    return make_worked_example(catalog, patient, clinician)
