"""Every page of the app, in one list, for the checks that must cover them all: the Nu HTML
checker (tests/a11y/test_valid_html.py, over HTML saved by the test client) and axe-core
(tests/browser/test_accessibility.py, in Chromium).

A new feature adds its pages to PAGES (and anything they need to `make_world`); both checks
then cover them without further changes."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from clinic.catalog_seed import LASER, MICRONEEDLING
from clinic.models import PriceRange, ProductLot, TreatmentType
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from planner.signing.models import Deposit
from tests.factories.accounts import TOTPDeviceFactory, UserFactory
from tests.factories.clinic import ProductLotFactory, StorageCheckFactory
from tests.factories.planner import PatientFactory, make_plan

# Who is signed in to look at a page. ADMIN has passed the second factor; ADMIN_FIRST_STEP has
# only passed the password step.
ANONYMOUS, DESK, CLINICIAN_USER, ADMIN, ADMIN_FIRST_STEP, NO_ROLE = (
    None,
    "desk",
    "clinician",
    "clinicadmin",
    "clinicadmin-first-step",
    "norole",
)
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # formatted with make_world()'s ids: {patient}, {plan}, {other}, ...
    user: str | None = DESK
    status: int = 200
    post: dict | None = field(default=None, hash=False)
    nu: bool = True  # False for the Django admin: its markup is Django's, axe still checks it

    def url(self, world: dict) -> str:
        return self.path.format(**world)


PAGES = (
    Page("login", "/accounts/login/", ANONYMOUS),
    Page(
        "login with empty fields",
        "/accounts/login/",
        ANONYMOUS,
        post={"username": "", "password": ""},
    ),
    Page("home", "/"),
    Page("home without a role", "/", NO_ROLE),
    Page("day board", "/today/"),
    Page("day board, second pages", "/today/?sessions_page=2&waiting_page=9"),
    Page("catalog", "/catalog/"),
    Page("patient list", "/patients/"),
    Page("new patient", "/patients/new/"),
    Page("new patient with errors", "/patients/new/", post={"full_name": ""}),
    Page("patient detail", "/patients/{patient}/"),
    Page("patient edit", "/patients/{patient}/edit/"),
    Page("plan list", "/plans/"),
    Page("plan list, filters with errors", "/plans/?ready_by_month=June&q=" + "x" * 101),
    Page("new plan", "/plans/new/?patient={patient}"),
    Page(
        "new plan, failed save",
        "/plans/new/?patient={patient}",
        post={
            "courses-TOTAL_FORMS": "1",
            "courses-INITIAL_FORMS": "0",
            "courses-0-treatment": "{microneedling}",
            "courses-0-sessions": "40",
            "courses-0-first_session": "2027-01-10",
            "title": "",
            "action": "save",
        },
    ),
    Page("plan detail", "/plans/{plan}/"),
    Page("plan detail, investigational", "/plans/{investigational_plan}/", CLINICIAN_USER),
    Page("plan edit", "/plans/{plan}/edit/"),
    Page("plan compare", "/plans/{plan}/compare/{other}/"),
    Page("plan detail, deposits with one voided", "/plans/{deposit_plan}/"),
    Page("void a deposit", "/plans/{deposit_plan}/deposits/{deposit}/void/"),
    Page(
        "void a deposit, no reason",
        "/plans/{deposit_plan}/deposits/{deposit}/void/",
        status=400,
        post={"version": "{deposit_plan_version}", "reason": ""},
    ),
    Page("patient summary", "/plans/{plan}/summary/"),
    Page("summary PDF being prepared", "/plans/{plan}/summary.pdf/preparing/"),
    Page("patient merge", "/patients/{patient}/merge/", ADMIN),
    Page("sessions of the day", "/sessions/", CLINICIAN_USER),
    Page("lots", "/lots/", CLINICIAN_USER),
    Page("lot", "/lots/{lot}/", ADMIN),
    Page("signing link, date of birth", "/p/an-unknown-token/", ANONYMOUS),
    Page("reports", "/reports/", ADMIN),
    Page("reports, bad period", "/reports/?months=13", ADMIN),
    Page("staff list", "/staff/", ADMIN),
    Page("new staff member", "/staff/new/", ADMIN),
    Page("staff member", "/staff/{desk_id}/", ADMIN),
    Page("reset a second factor", "/staff/{admin_id}/reset-two-factor/", ADMIN),
    Page("account security", "/accounts/two-factor/", ADMIN),
    Page("two-factor enrolment", "/accounts/two-factor/enrol/", DESK),
    Page("two-factor verification", "/accounts/two-factor/verify/", ADMIN_FIRST_STEP),
    Page("password change", "/accounts/password/"),
    Page("password changed", "/accounts/password/done/"),
    Page("403", "/plans/", NO_ROLE, status=403),
    Page("404", "/plans/999999/", status=404),
    Page("admin index", "/admin/", ADMIN, nu=False),
    Page("admin price ranges", "/admin/clinic/pricerange/", ADMIN, nu=False),
    Page("admin treatment", "/admin/clinic/treatmenttype/{microneedling}/change/", ADMIN, nu=False),
    Page("admin lot", "/admin/clinic/productlot/{lot}/change/", ADMIN, nu=False),
    Page("admin plan", "/admin/planner/plan/{plan}/change/", ADMIN, nu=False),
)


def make_world() -> dict:
    """The users and records the pages above show; needs the catalog loaded (the `catalog`
    fixture). Returns the ids the page paths are formatted with."""
    users = {}
    for username, role in (
        (DESK, FRONT_DESK),
        (CLINICIAN_USER, CLINICIAN),
        (ADMIN, CLINIC_ADMIN),
        (NO_ROLE, None),
    ):
        user = UserFactory(username=username, is_staff=role == CLINIC_ADMIN)
        if role:
            user.groups.add(Group.objects.get(name=role))
        users[username] = user
    TOTPDeviceFactory(user=users[ADMIN])
    treatments = {t.slug: t for t in TreatmentType.objects.all()}
    patient = PatientFactory(full_name="Ada Example", date_of_birth=date(1984, 5, 2))
    plan = make_plan(patient, treatments[MICRONEEDLING], treatments[LASER], title="Option A")
    other = make_plan(patient, treatments[MICRONEEDLING], title="Option B")
    investigational = [t for t in treatments.values() if t.is_investigational]
    investigational_plan = make_plan(patient, *investigational[:1], title="Trial option")
    lot = ProductLot.objects.first() or ProductLotFactory(lot_number="A-1")
    StorageCheckFactory(lot=lot)
    _day_board_rows(users[DESK], treatments)
    deposit = _deposits(patient, treatments, staff=users[DESK])
    assert PriceRange.objects.exists()
    return {
        "patient": patient.pk,
        "plan": plan.pk,
        "other": other.pk,
        "investigational_plan": investigational_plan.pk,
        "microneedling": treatments[MICRONEEDLING].pk,
        "lot": lot.pk,
        "desk_id": users[DESK].pk,
        "admin_id": users[ADMIN].pk,
        "deposit": deposit.pk,
        "deposit_plan": deposit.plan_id,
        "deposit_plan_version": deposit.plan.version,
    }


def _deposits(patient, treatments, *, staff) -> Deposit:
    """A plan the patient accepted, with a deposit and a voided one (recorded by mistake);
    returns the deposit still counted, its plan as it is now."""
    from planner import actions
    from planner.signing import actions as signing
    from tests.helpers import sign_as_patient

    plan = make_plan(patient, treatments[MICRONEEDLING], title="Accepted option")
    actions.plan_transition(plan=plan, to_status="presented", user=staff, expected_version=1)
    sign_as_patient(plan, staff=staff)
    kept = None
    for amount, reference in (("100", "R-100"), ("1000", "R-1000")):
        plan.refresh_from_db()
        deposit = signing.deposit_record(
            plan=plan,
            amount=Decimal(amount),
            received_on=timezone.localdate(),
            method="card",
            reference=reference,
            user=staff,
            expected_version=plan.version,
        )
        kept = kept or deposit
    plan.refresh_from_db()
    signing.deposit_void(
        deposit=deposit,
        reason="Typed 1000 for 100 <by mistake>",
        user=staff,
        expected_version=plan.version,
    )
    kept.plan = plan
    return kept


def _day_board_rows(staff, treatments) -> None:
    """A row in every list of the day board, one session blocked by its lot."""
    from tests.planner.board import builders

    blocked = builders.session_plan(treatments, staff=staff, days_ahead=(0, 1))
    ProductLot.objects.filter(pk=blocked.courses.get().lot_id).update(status="quarantined")
    builders.session_plan(treatments, staff=staff, days_ahead=(2,))
    waiting = builders.presented_plan(quoted_days=26, title="Quote waiting")
    builders.opened(builders.link_for(waiting, staff=staff, expires_in_days=3))
    builders.deposit(
        builders.accepted_plan(staff=staff, deposit_due=Decimal("300")), "100", staff=staff
    )


def post_data(page: Page, world: dict) -> dict | None:
    if page.post is None:
        return None
    return {key: value.format(**world) for key, value in page.post.items()}
