"""Lot lifecycle writes: keyword-only, atomic, version-checked, each change logged with who,
when and why."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.lots import rules
from clinic.models import LotStatus, LotStatusChange, ProductLot, StorageCheck


class LotActionError(Exception):
    """A rule refused the change; the message is for staff, as it is."""


STALE_LOT = (
    "Someone else changed this lot's status while you were looking at it. Nothing was "
    "recorded: read the lot as it is now and try again."
)
MOVE_NOT_ALLOWED = "A lot that is {current} cannot be marked {target}."
REASON_NEEDED = "Say why: every change to a lot's status is recorded with its reason."
NOT_YOURS = "Your role may not mark a lot {target}."


@transaction.atomic
def lot_change_status(
    *, lot: ProductLot, to_status: str, reason: str, user, expected_version: int | None
) -> ProductLot:
    """Move a lot along its life (clinic/lots/rules.py), logging the change. Releasing also
    records that the storage readings up to today were reviewed."""
    if to_status not in rules.allowed_moves(lot.status):
        raise LotActionError(
            MOVE_NOT_ALLOWED.format(
                current=LotStatus(lot.status).label.lower(),
                target=LotStatus(to_status).label.lower()
                if to_status in LotStatus.values
                else to_status,
            )
        )
    if not user.has_perm(rules.permission_for(to_status)):
        raise LotActionError(NOT_YOURS.format(target=LotStatus(to_status).label.lower()))
    reason = (reason or "").strip()
    if not reason:
        raise LotActionError(REASON_NEEDED)
    updated = ProductLot.objects.filter(pk=lot.pk, version=expected_version, status=lot.status)
    if not updated.update(version=F("version") + 1):
        raise LotActionError(STALE_LOT)
    lot.version = (expected_version or 0) + 1
    change = LotStatusChange(
        lot=lot, from_status=lot.status, to_status=to_status, reason=reason, changed_by=user
    )
    change._history_user = user
    change.save()
    lot.status = to_status
    if to_status == LotStatus.RELEASED:
        lot.storage_reviewed_through = timezone.localdate()
    lot._history_user = user
    lot.save(update_fields=["status", "storage_reviewed_through", "version"])
    return lot


READING_IN_FUTURE = "A storage reading cannot be dated after today."
READING_BEFORE_RECEIPT = "A storage reading cannot be dated before the lot was received."


@transaction.atomic
def storage_check_record(
    *,
    lot: ProductLot,
    checked_on,
    temperature_celsius,
    notes: str = "",
    user,
    expected_version: int | None,
) -> StorageCheck:
    """Record one cold-chain reading of a lot, as of the lot page the reader had open (a
    reading outside the product's range blocks the lot's use until a clinician releases it)."""
    if checked_on > timezone.localdate():
        raise LotActionError(READING_IN_FUTURE)
    if checked_on < lot.received_on:
        raise LotActionError(READING_BEFORE_RECEIPT)
    if not ProductLot.objects.filter(pk=lot.pk, version=expected_version).update(
        version=F("version") + 1
    ):
        raise LotActionError(STALE_LOT)
    lot.version = (expected_version or 0) + 1
    reading = StorageCheck(
        lot=lot,
        checked_on=checked_on,
        temperature_celsius=temperature_celsius,
        checked_by=user,
        notes=notes.strip(),
    )
    reading.full_clean(exclude=["lot", "checked_by"])
    reading._history_user = user
    reading.save()
    return reading
