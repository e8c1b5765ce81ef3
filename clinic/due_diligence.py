"""Due diligence on an exosome preparation: the four questions a clinic must be able to
answer for every product it uses, and the warnings that should reach staff before a patient.

Pure functions: they read the attributes of a product, a lot and its storage readings (model
instances or anything shaped like them) and never query the database. `today` and the planned
session dates are passed in; there is no clock here."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Exosomes are 30-150 nm across (regen-2026, difrancesco); outside that, the preparation
# holds something else as well.
EXOSOME_SIZE_MIN_NM = Decimal(30)
EXOSOME_SIZE_MAX_NM = Decimal(150)

QUESTIONS = {
    "source": "What is the source cell line?",
    "characterisation": "What characterisation data exists for this lot?",
    "regulatory": "What is its regulatory status: a cosmetic topical product or an "
    "investigational preparation?",
    "clinical": "What clinical outcome data supports this product?",
}


@dataclass(frozen=True)
class Answer:
    key: str
    question: str
    answered: bool
    detail: str


@dataclass(frozen=True)
class LotWarning:
    """A fact about a lot that staff must weigh before a patient (and that the patient is
    shown): clinic.formatting.format_lot_warning words it.

    kind: "size" (size_low/size_high outside 30-150 nm), "storage" (a reading at
    temperature on checked_on outside required_min/required_max), "expired" (expires_on is
    before today) or "expires_before_session" (session_number on session_date is after
    expires_on)."""

    kind: str
    lot_number: str
    size_low: Decimal | None = None
    size_high: Decimal | None = None
    temperature: Decimal | None = None
    checked_on: date | None = None
    required_min: Decimal | None = None
    required_max: Decimal | None = None
    expires_on: date | None = None
    session_number: int | None = None
    session_date: date | None = None

    @property
    def blocks_presenting(self) -> bool:
        """An expired lot cannot be used on a session date; the others need a clinician's
        acknowledgement."""
        return self.kind in ("expired", "expires_before_session")


@dataclass(frozen=True)
class DueDiligence:
    answers: tuple[Answer, ...]
    warnings: tuple[LotWarning, ...]

    @property
    def complete(self) -> bool:
        return all(a.answered for a in self.answers)

    @property
    def gaps(self) -> list[str]:
        return [a.question for a in self.answers if not a.answered]


def _characterisation(lot) -> Answer:
    question = QUESTIONS["characterisation"]
    if lot is None:
        return Answer("characterisation", question, False, "No lot is recorded for this course.")
    missing = []
    if lot.particles_per_ml is None:
        missing.append("particle count")
    if lot.size_median_nm is None and (lot.size_min_nm is None or lot.size_max_nm is None):
        missing.append("size distribution")
    if not lot.surface_markers.strip():
        missing.append("surface markers")
    if missing:
        return Answer(
            "characterisation",
            question,
            False,
            f"Lot {lot.lot_number} lacks: {', '.join(missing)}.",
        )
    document = f" ({lot.characterisation_document})" if lot.characterisation_document else ""
    return Answer(
        "characterisation",
        question,
        True,
        f"Lot {lot.lot_number}: particle count, size distribution and surface markers{document}.",
    )


def _answers(product, lot) -> tuple[Answer, ...]:
    source = product.source_cell_line.strip()
    status = product.get_regulatory_status_display()
    reference = product.regulatory_reference.strip()
    needs_reference = product.regulatory_status == "investigational"
    evidence = product.clinical_evidence.strip()
    return (
        Answer("source", QUESTIONS["source"], bool(source), source or "Not recorded."),
        _characterisation(lot),
        Answer(
            "regulatory",
            QUESTIONS["regulatory"],
            bool(product.regulatory_status) and (bool(reference) or not needs_reference),
            f"{status}{f', {reference}' if reference else ''}."
            if product.regulatory_status
            else "Not recorded.",
        ),
        Answer(
            "clinical",
            QUESTIONS["clinical"],
            bool(evidence),
            evidence.splitlines()[0] if evidence else "None recorded.",
        ),
    )


def _size_warnings(lot) -> list[LotWarning]:
    low = lot.size_min_nm if lot.size_min_nm is not None else lot.size_median_nm
    high = lot.size_max_nm if lot.size_max_nm is not None else lot.size_median_nm
    if low is None or high is None:
        return []
    if low < EXOSOME_SIZE_MIN_NM or high > EXOSOME_SIZE_MAX_NM:
        return [LotWarning("size", lot.lot_number, size_low=low, size_high=high)]
    return []


def _storage_warnings(product, lot, readings) -> list[LotWarning]:
    low, high = product.storage_min_celsius, product.storage_max_celsius
    if low is None and high is None:
        return []
    warnings = []
    for reading in readings:
        t = reading.temperature_celsius
        if (low is not None and t < low) or (high is not None and t > high):
            warnings.append(
                LotWarning(
                    "storage",
                    lot.lot_number,
                    temperature=t,
                    checked_on=reading.checked_on,
                    required_min=low,
                    required_max=high,
                )
            )
    return warnings


def _expiry_warnings(lot, today: date, planned: Sequence[tuple[int, date]]) -> list[LotWarning]:
    if lot.expires_on < today:
        return [LotWarning("expired", lot.lot_number, expires_on=lot.expires_on)]
    for number, day in planned:
        if day > lot.expires_on:
            return [
                LotWarning(
                    "expires_before_session",
                    lot.lot_number,
                    expires_on=lot.expires_on,
                    session_number=number,
                    session_date=day,
                )
            ]
    return []


def assess(
    product,
    *,
    lot=None,
    readings: Sequence = (),
    today: date,
    planned_sessions: Sequence[tuple[int, date]] = (),
) -> DueDiligence:
    """The four answers for `product` (and `lot`, if one is chosen) plus every warning:
    sizes outside 30-150 nm, storage readings outside the product's range, and a lot that has
    expired or expires before one of `planned_sessions` (session number, date)."""
    warnings: list[LotWarning] = []
    if lot is not None:
        warnings += _size_warnings(lot)
        warnings += _storage_warnings(product, lot, readings)
        warnings += _expiry_warnings(lot, today, planned_sessions)
    return DueDiligence(answers=_answers(product, lot), warnings=tuple(warnings))
