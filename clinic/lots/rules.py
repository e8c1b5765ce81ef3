"""A lot's life and whether it may be used on a given day. Pure: reads a lot, its product
and its storage readings (model instances or anything shaped like them); no query, no clock.

- The moves: received → released (or quarantined) → recalled / expired / discarded. A
  quarantined lot can be released again, and a released lot can be released again after a
  clinician reviewed a storage reading (which records the review).
- At the point of use, on the session's date, a lot must be released, not expired, and have no
  storage reading outside its product's range since it was received, unless a clinician
  reviewed the readings up to that reading's day and released the lot."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from clinic.formatting import format_celsius, format_celsius_range, format_date
from clinic.models import LotStatus as S

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: (S.RELEASED, S.QUARANTINED, S.RECALLED, S.DISCARDED),
    S.RELEASED: (S.RELEASED, S.QUARANTINED, S.RECALLED, S.EXPIRED, S.DISCARDED),
    S.QUARANTINED: (S.RELEASED, S.RECALLED, S.DISCARDED),
    S.RECALLED: (S.DISCARDED,),
    S.EXPIRED: (S.DISCARDED,),
    S.DISCARDED: (),
}
# Releasing is a clinical judgement; recalling is the clinic admin's call.
PERMISSION_FOR = {
    S.RELEASED: "clinic.release_lot",
    S.RECALLED: "clinic.recall_lot",
}
DEFAULT_PERMISSION = "clinic.change_lot_status"
# A lot in one of these may not be named for a planned session.
NOT_PLANNABLE = frozenset({S.QUARANTINED, S.RECALLED, S.DISCARDED, S.EXPIRED})

NOT_RELEASED = "Lot {lot} has not been released for use (it is {status})."
LOT_EXPIRED_ON = "Lot {lot} expired on {expiry}, before the session date {day}."
STORAGE_EXCURSION = (
    "Lot {lot} was stored at {temperature} on {checked_on} (required {required}); a clinician "
    "must review it and release the lot before it is used."
)


def allowed_moves(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def permission_for(to_status: str) -> str:
    return PERMISSION_FOR.get(to_status, DEFAULT_PERMISSION)


@dataclass(frozen=True)
class Excursion:
    checked_on: date
    temperature: object


def unreviewed_excursions(lot, product, readings: Iterable, *, on: date) -> list[Excursion]:
    """Readings outside the product's range, taken since the lot was received and up to `on`,
    that no clinician's release has reviewed."""
    low, high = product.storage_min_celsius, product.storage_max_celsius
    reviewed = lot.storage_reviewed_through
    found = []
    for reading in sorted(readings, key=lambda r: r.checked_on):
        if not (lot.received_on <= reading.checked_on <= on):
            continue
        if reviewed is not None and reading.checked_on <= reviewed:
            continue
        t = reading.temperature_celsius
        if (low is not None and t < low) or (high is not None and t > high):
            found.append(Excursion(reading.checked_on, t))
    return found


def point_of_use_problems(lot, product, readings: Iterable, *, on: date) -> list[str]:
    """Why `lot` may not be used on `on` (empty: it may), one sentence each, for staff."""
    problems = []
    if lot.status != S.RELEASED:
        problems.append(NOT_RELEASED.format(lot=lot.lot_number, status=S(lot.status).label.lower()))
    if lot.expires_on < on:
        problems.append(
            LOT_EXPIRED_ON.format(
                lot=lot.lot_number, expiry=format_date(lot.expires_on), day=format_date(on)
            )
        )
    for excursion in unreviewed_excursions(lot, product, readings, on=on):
        problems.append(
            STORAGE_EXCURSION.format(
                lot=lot.lot_number,
                temperature=format_celsius(excursion.temperature),
                checked_on=format_date(excursion.checked_on),
                required=format_celsius_range(
                    product.storage_min_celsius, product.storage_max_celsius
                ),
            )
        )
    return problems
