"""What the patient summary tells a patient, in the app's own words.

Facts come from the sources in shared/domain.md (their keys are given beside each text so
the summary can list them); the wording is ours. Figures that the clinic may change (downtime,
typical series, results window) are not written here: the summary reads them from the
catalog row, so a text never contradicts the catalog.

The sources say little about aftercare, so the aftercare pointers stay general on purpose:
they point to the dates in the schedule and to the clinic, and invent no instruction."""

from dataclasses import dataclass

from clinic.catalog_seed import SEED_EFFECTIVE_FROM
from clinic.models import ExosomeSource, TreatmentKind


@dataclass(frozen=True)
class KindText:
    what_to_expect: str
    aftercare: tuple[str, ...]  # what applies to this kind only; see GENERAL_AFTERCARE
    risks: tuple[str, ...]  # likewise; see GENERAL_RISKS
    sources: tuple[str, ...]


_WELL_CHARACTERISED = "With a well-characterised preparation the reported risks are minimal"
_SETTLED_DATES = (
    "keep the downtime dates in the schedule free of events where your skin needs to look settled."
)

KIND_TEXTS: dict[str, KindText] = {
    TreatmentKind.MICRONEEDLING: KindText(
        what_to_expect=(
            "Fine needles make many tiny channels in the skin. The exosome preparation is "
            "applied straight afterwards, so it can reach deeper layers through those channels "
            "than it could through intact skin. Any downtime comes mainly from the "
            "microneedling itself."
        ),
        aftercare=(f"Plan around the downtime: {_SETTLED_DATES}",),
        risks=(f"{_WELL_CHARACTERISED}: mainly short-lived redness of the treated skin.",),
        sources=("regen-2026",),
    ),
    TreatmentKind.FRACTIONAL_LASER: KindText(
        what_to_expect=(
            "A fractional (or ablative) laser opens the outer barrier of the skin in a fine "
            "pattern. The exosome preparation is applied on the treated skin right after the "
            "laser pass. Downtime comes mainly from the laser and is longer than after "
            "microneedling."
        ),
        aftercare=(f"Plan for the longer downtime: {_SETTLED_DATES}",),
        risks=(f"{_WELL_CHARACTERISED}: mainly short-lived redness of the treated skin.",),
        sources=("regen-2026",),
    ),
    TreatmentKind.INJECTABLE: KindText(
        what_to_expect=(
            "A sterile exosome preparation is injected into or just under the skin, in many "
            "small amounts spread over the treatment area. No microneedling or laser is needed "
            "first. This treatment is investigational: it is given only within a registered "
            "IND or clinical trial."
        ),
        aftercare=(
            "No source documents the downtime after an exosome injection: ask your clinician "
            "what to plan for.",
            "Follow the visit and reporting schedule of the trial you are enrolled in.",
        ),
        risks=(
            f"{_WELL_CHARACTERISED}: reactions where the needle went in, bruising and "
            "short-lived redness.",
        ),
        sources=("regen-2026",),
    ),
}

# Shown once, for every plan, after the texts of its treatment kinds.
GENERAL_AFTERCARE = (
    "Follow the skin-care instructions your clinician gives you after each session.",
    "Results keep building for weeks after a session: judge them against the results dates "
    "in this summary rather than in the first days.",
    "Contact the clinic if redness, swelling or bruising gets worse instead of settling, or "
    "lasts beyond the downtime dates of your session.",
)
GENERAL_RISKS = (
    "With a poorly characterised preparation there are theoretical risks: an immune reaction "
    "to proteins it carries that have not been identified, contamination with microbes during "
    "manufacture, and unknown effects of the genetic material (miRNA) it carries. Ask us about "
    "the preparation we use: its source, the data on its lot, its regulatory status and the "
    "clinical evidence for it.",
)
GENERAL_SOURCES = ("regen-2026",)


@dataclass(frozen=True)
class Statement:
    text: str
    source: str


# "As of" the date of the catalog's sources (the seeded prices take effect then).
FDA_AS_OF = SEED_EFFECTIVE_FROM.year
NOT_FDA_APPROVED = Statement(
    f"No exosome product is approved by the US Food and Drug Administration (FDA) for any "
    f"aesthetic use (as of {FDA_AS_OF}).",
    "regen-2026",
)
INVESTIGATIONAL_WITH_REFERENCE = (
    "{treatment} is investigational, not an approved treatment. It is offered to you only "
    "within the IND or clinical trial recorded for this plan: {reference}."
)
INVESTIGATIONAL_WITHOUT_REFERENCE = (
    "{treatment} is investigational, not an approved treatment. It can be offered only within "
    "an IND or clinical trial, and no trial reference has been recorded for this plan yet: "
    "it cannot be agreed until a clinician records one."
)
INVESTIGATIONAL_SOURCE = "regen-2026"
TOPICAL_COSMETIC = Statement(
    "{treatments}: a cosmetic, topical use. The exosome preparation is applied to the skin, "
    "not injected; topical exosome products may carry cosmetic claims only, not medical ones.",
    "chatham",
)

EXOSOME_SOURCE_TEXTS: dict[str, Statement] = {
    ExosomeSource.PLATELET: Statement(
        "Platelet-derived exosomes come from human platelets. They are for use on the skin "
        "only: injecting them is not approved outside an FDA clinical trial.",
        "mayo-2025",
    ),
    ExosomeSource.MSC: Statement(
        "Mesenchymal stem cell (MSC) exosomes are made by donor stem cells; they are the most "
        "studied source in regenerative medicine.",
        "regen-2026",
    ),
    ExosomeSource.PLACENTAL: Statement(
        "Placental or amniotic exosomes come from cells of the placenta or the amniotic "
        "membrane, a source used in aesthetic preparations.",
        "regen-2026",
    ),
    ExosomeSource.PLANT: Statement(
        "Plant-derived exosomes are a cosmetic ingredient. They signal to human cells more "
        "weakly than exosomes of human origin.",
        "chatham",
    ),
    ExosomeSource.SYNTHETIC: Statement(
        "Synthetic “exosome-like” particles are made in a laboratory. Some products sold as "
        "exosomes are in fact liposomes (simple fat bubbles), not vesicles released by cells.",
        "difrancesco",
    ),
}
