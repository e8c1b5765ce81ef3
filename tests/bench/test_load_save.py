"""The load test saves a plan as the browser does: the editor page's form read back from its
HTML, one field changed, the Save button. If the form changes shape, this breaks here rather
than as failed requests in `make load`."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from bench.editor_form import editor_fields
from clinic.catalog_seed import MICRONEEDLING
from planner.models import Plan
from tests.factories.planner import make_plan

pytestmark = pytest.mark.slow


def test_the_editor_form_read_back_from_the_page_saves_the_plan(desk_client, catalog, patient):
    plan = make_plan(patient, catalog[MICRONEEDLING], catalog[MICRONEEDLING], sessions=3)
    edit = reverse("plan-edit", args=[plan.pk])

    fields = editor_fields(desk_client.get(edit).content.decode())
    names = dict(fields)
    assert names["version"] == str(plan.version)
    assert "csrfmiddlewaretoken" in names
    assert names["courses-TOTAL_FORMS"] == "2"
    body = [(n, v) for n, v in fields if n != "notes"] + [
        ("notes", "Saved by the load test."),
        ("action", "save"),
    ]
    response = desk_client.post(
        edit, urlencode(body), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("plan-detail", args=[plan.pk])
    saved = Plan.objects.get(pk=plan.pk)
    assert saved.notes == "Saved by the load test."
    assert saved.version == plan.version + 1
    assert saved.courses.count() == 2
