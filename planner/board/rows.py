"""The day board's table rows as HTML, one function per list.

Built here rather than in the template: up to 120 rows of six lists, each cell a variable
lookup, a filter, localisation and escaping in the template engine, were half the page's
time; here a row is one f-string. What surrounds the rows (captions, headings, pagination,
the empty states) stays in templates/planner/board/day_board.html.

Every text from the database goes through `_e` (HTML escaping, as the template's
autoescape did); numbers are ids and counts. Dates, times and money read as everywhere else
through clinic.formatting, times in the clinic's timezone as the template's filters gave
them."""

from collections.abc import Callable, Iterable
from datetime import datetime
from html import escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from clinic.formatting import NOT_DOCUMENTED, format_clock, format_date, format_money, plural
from planner.board.day import Accepted, DepositDue, OpenedLink, PlanRef, QuoteRow, SessionRow


def _e(text) -> str:
    return escape(str(text))


def _muted(text: str) -> str:
    return f'<span class="muted">{text}</span>'


def _html(rows: Iterable, row: Callable[..., str]) -> SafeString:
    """The rows, each made by `row` and every value in it escaped there."""
    return mark_safe("".join(map(row, rows)))


def _local_day(moment: datetime) -> str:
    return format_date(timezone.localtime(moment))


def _plan_cells(plan_url: str, plan: PlanRef, fragment: str = "") -> str:
    return (
        f'<td data-label="Plan"><a href="{plan_url}{plan.pk}/{fragment}">{_e(plan.title)}</a>'
        f'</td><td data-label="Patient">{_e(plan.patient_name)}</td>'
    )


# Sessions ---------------------------------------------------------------------------------


def session_rows(rows: list[SessionRow], plan_url: str) -> SafeString:
    def row(s: SessionRow) -> str:
        at = format_clock(s.planned_time) if s.planned_time else _muted("no time set")
        if s.lot is not None:
            lot = f"{_e(s.lot.lot_number)} {_muted(f'({_e(s.lot.product_name)})')}"
        else:
            lot = _muted("none named yet" if s.needs_lot else "no product")
        if s.blocking:
            items = "".join(f"<li>{_e(problem)}</li>" for problem in s.blocking)
            blocking = f'<ul class="blocking">{items}</ul>'
        else:
            blocking = _muted("Nothing blocking")
        blocked = ' class="blocked"' if s.blocking else ""
        return (
            f"<tr{blocked}>"
            f'<td class="nowrap" data-label="Time">{at}</td>'
            f'<td data-label="Patient"><a href="{plan_url}{s.plan_id}/#session-{s.pk}">'
            f"{_e(s.patient_name)}</a></td>"
            f'<td data-label="Treatment">{_e(s.treatment_name)}, session {s.number} of '
            f"{s.course_sessions}</td>"
            f'<td data-label="Planned lot">{lot}</td>'
            f'<td data-label="Before it can go ahead">{blocking}</td></tr>'
        )

    return _html(rows, row)


# Quotes and links -------------------------------------------------------------------------


def _signing_link(q: QuoteRow) -> str:
    live = (
        f"Live until {_local_day(q.link_expires_at)}"
        if q.link_expires_at
        else _muted("No live link")
    )
    if not q.last_opened_at:
        return live
    return f"{live}<br>{_muted(f'Opened {_local_day(q.last_opened_at)}')}"


def waiting_rows(rows: list[QuoteRow], plan_url: str) -> SafeString:
    def row(q: QuoteRow) -> str:
        quoted = format_date(q.quoted_on) if q.quoted_on else NOT_DOCUMENTED
        if q.age_days is None:
            waiting = '<span class="nd">not recorded</span>'
        else:
            waiting = plural(q.age_days, "day")
        if not q.valid_until:
            valid = '<span class="nd">no expiry recorded</span>'
        elif q.expired:
            valid = (
                f'<strong class="badge badge-warning">Expired {format_date(q.valid_until)}</strong>'
            )
        else:
            valid = format_date(q.valid_until)
        return (
            f"<tr>{_plan_cells(plan_url, q.plan)}"
            f'<td class="nowrap" data-label="Quoted">{quoted}</td>'
            f'<td class="nowrap" data-label="Waiting">{waiting}</td>'
            f'<td class="nowrap" data-label="Quote valid until">{valid}</td>'
            f'<td data-label="Signing link">{_signing_link(q)}</td></tr>'
        )

    return _html(rows, row)


def expiring_rows(rows: list[QuoteRow], plan_url: str) -> SafeString:
    def row(q: QuoteRow) -> str:
        return (
            f"<tr>{_plan_cells(plan_url, q.plan)}"
            f'<td class="nowrap" data-label="Quote valid until">{format_date(q.valid_until)}</td>'
            f'<td data-label="Signing link">{_signing_link(q)}</td></tr>'
        )

    return _html(rows, row)


def opened_rows(rows: list[OpenedLink], plan_url: str) -> SafeString:
    def row(link: OpenedLink) -> str:
        opened = timezone.localtime(link.last_opened_at)
        locked = (
            ' <strong class="badge badge-warning">Locked after wrong dates of birth</strong>'
            if link.locked_at
            else ""
        )
        return (
            f"<tr>{_plan_cells(plan_url, link.plan)}"
            f'<td class="nowrap" data-label="Last opened">{format_date(opened)} '
            f"{format_clock(opened)}</td>"
            f'<td class="num" data-label="Times opened">{link.times_opened}</td>'
            f'<td class="nowrap" data-label="Link expires">{_local_day(link.expires_at)}'
            f"{locked}</td></tr>"
        )

    return _html(rows, row)


# Acceptances and deposits -----------------------------------------------------------------


def _money(amount, currency: str) -> str:
    return _e(format_money(amount, currency or None))


def accepted_rows(rows: list[Accepted], plan_url: str) -> SafeString:
    def row(a: Accepted) -> str:
        if not a.deposit_asked:
            deposit = _muted("None asked")
        elif a.deposit_outstanding > 0:
            deposit = f"{_money(a.deposit_outstanding, a.currency)} still due"
        else:
            deposit = f"Paid ({_money(a.deposit_received, a.currency)})"
        return (
            f"<tr>{_plan_cells(plan_url, a.plan)}"
            f'<td class="nowrap" data-label="Accepted">{_local_day(a.accepted_at)}</td>'
            f'<td data-label="Status"><span class="status status-{_e(a.plan.status)}">'
            f"{_e(a.plan.status_label)}</span></td>"
            f'<td data-label="Deposit">{deposit}</td></tr>'
        )

    return _html(rows, row)


def deposit_rows(rows: list[DepositDue], plan_url: str) -> SafeString:
    def row(d: DepositDue) -> str:
        return (
            f"<tr>{_plan_cells(plan_url, d.plan, '#signing')}"
            f'<td class="nowrap" data-label="Accepted">{_local_day(d.signed_at)}</td>'
            f'<td class="num" data-label="Asked">{_money(d.deposit_due, d.currency)}</td>'
            f'<td class="num" data-label="Received">{_money(d.received, d.currency)}</td>'
            f'<td class="num" data-label="Still due"><strong>{_money(d.outstanding, d.currency)}'
            "</strong></td></tr>"
        )

    return _html(rows, row)
