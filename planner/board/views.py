"""The day board: the staff's home page. Reads only; each list pages on its own
(`<list>_page` in the query string), so paging one keeps the others where they were."""

from datetime import timedelta

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from clinic.permissions import require_permission
from planner.board import day, rows

LISTS = ("sessions", "waiting", "expiring", "opened", "accepted", "deposits")


def _pager(request, name: str) -> dict:
    """The list's page parameter and the query string its links keep (the other lists'
    pages), for templates/planner/_pagination.html."""
    param = f"{name}_page"
    others = [(key, value) for key, value in request.GET.items() if key != param]
    return {"param": param, "query_string": urlencode(others), "fragment": name}


def plan_url_prefix() -> str:
    """'/plans/' (under any script prefix): the rows' links are this plus the plan's id and
    a slash. Reversing plan-detail for each of up to 120 rows was a quarter of the page's
    render time."""
    url = reverse("plan-detail", args=[0])
    assert url.endswith("/0/"), url  # the pattern is plans/<int:pk>/
    return url.removesuffix("0/")


@require_GET
@require_permission("planner.view_plan")
def day_board(request):
    today = timezone.localdate()

    def page(name):
        return request.GET.get(f"{name}_page")

    plan_url = plan_url_prefix()
    sessions = day.sessions_ahead(today=today, page=page("sessions"))
    waiting, expiring = day.quote_lists(
        today=today, waiting_page=page("waiting"), expiring_page=page("expiring")
    )
    lists = {
        "waiting": waiting,
        "expiring": expiring,
        "opened": day.links_opened_not_signed(page=page("opened")),
        "accepted": day.recently_accepted(today=today, page=page("accepted")),
        "deposits": day.deposits_due(page=page("deposits")),
    }
    return render(
        request,
        "planner/board/day_board.html",
        {
            "today": today,
            "horizon_end": today + day.horizon(),
            "recent_days": day.RECENT_DAYS,
            "recent_since": today - timedelta(days=day.RECENT_DAYS),
            "expiring_days": day.EXPIRING_DAYS,
            "expiring_until": today + timedelta(days=day.EXPIRING_DAYS),
            "sessions": sessions,
            "session_days": [
                (when, rows.session_rows(day_rows, plan_url))
                for when, day_rows in day.by_day(sessions.object_list)
            ],
            **lists,
            "rows": {name: ROWS[name](lists[name].object_list, plan_url) for name in lists},
            "pagers": {name: _pager(request, name) for name in LISTS},
        },
    )


ROWS = {
    "waiting": rows.waiting_rows,
    "expiring": rows.expiring_rows,
    "opened": rows.opened_rows,
    "accepted": rows.accepted_rows,
    "deposits": rows.deposit_rows,
}
