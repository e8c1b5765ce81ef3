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
class Statement:
    text: str
    source: str  # a source key, or "" for the app's own pointer (no source claimed)


@dataclass(frozen=True)
class KindText:
    what_to_expect: str
    aftercare: tuple[str, ...]  # what applies to this kind only; see GENERAL_AFTERCARE
    # The preparation's risks (with their source) and, apart, the procedure's own risks,
    # which no source covers: the clinician explains them.
    risks: tuple[Statement, ...]
    sources: tuple[str, ...]


_SETTLED_DATES = (
    "keep the downtime days after each session free of events where your skin needs to look "
    "settled."
)
_TOPICAL_PREPARATION_RISKS = Statement(
    "The exosome preparation: for a well-characterised preparation, the risks reported are "
    "bruising and short-lived redness (and, where it is injected, reactions at the injection "
    "sites).",
    "regen-2026",
)


def _procedure_risks(procedure: str) -> Statement:
    return Statement(
        f"The {procedure} itself: it has risks of its own, which the sources above do not "
        "cover; your clinician explains them before you decide.",
        "",
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
        risks=(_TOPICAL_PREPARATION_RISKS, _procedure_risks("microneedling")),
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
        risks=(_TOPICAL_PREPARATION_RISKS, _procedure_risks("laser treatment")),
        sources=("regen-2026",),
    ),
    TreatmentKind.INJECTABLE: KindText(
        what_to_expect=(
            "A sterile exosome preparation is injected into or just under the skin, in many "
            "small amounts spread over the treatment area. No microneedling or laser is needed "
            "first. This treatment is investigational: it is given only within an FDA IND or "
            "a registered clinical trial."
        ),
        aftercare=(
            "No source documents the downtime after an exosome injection: ask your clinician "
            "what to plan for.",
            "Follow the visit and reporting schedule of the trial you are enrolled in.",
        ),
        risks=(
            Statement(
                "The exosome preparation: for a well-characterised preparation, the risks "
                "reported are reactions where the needle went in, bruising and short-lived "
                "redness. For an investigational preparation, what else may happen is part of "
                "what the trial studies.",
                "regen-2026",
            ),
        ),
        sources=("regen-2026",),
    ),
}

# Shown once, for every plan, after the texts of its treatment kinds. No sentence refers to
# "this summary": the calendar file repeats the aftercare on its own.
RESULTS_KEEP_DEVELOPING = (
    "Results keep developing for weeks after each session: judge them once that time has "
    "passed, not in the first days."
)
GENERAL_AFTERCARE = (
    "Follow the skin-care instructions your clinician gives you after each session.",
    RESULTS_KEEP_DEVELOPING,
    "Contact the clinic if redness, swelling or bruising gets worse instead of settling, or "
    "lasts beyond the downtime dates of your session.",
)
GENERAL_RISKS = (
    "With a poorly characterised preparation there are theoretical risks: an immune reaction "
    "to proteins it carries that have not been identified, contamination with microbes during "
    "manufacture, and unknown effects of the genetic material (miRNA) it carries.",
)
ASK_ABOUT_THE_PREPARATION = (
    "Ask us which preparation we plan to use and what we hold on record about it: its source, "
    "the data on its lot, its regulatory status and the clinical evidence for it."
)
SEE_THE_PRODUCT_SECTION = (
    "What we hold on record about the preparation planned for you is under “About the "
    "product”; ask us about anything marked “not recorded”."
)
GENERAL_SOURCES = ("regen-2026",)

# The patient's goals, worded as cosmetic goals: a topical product may carry cosmetic claims
# only, so the patient's paper never names a medical indication.
PATIENT_GOALS = {
    "procedure_recovery": "A smoother recovery after microneedling or laser",
    "skin_quality": "Skin quality (thinning, laxity, fine lines)",
    "wound_healing": "The look of the skin as it heals after surgery",
    "hair_loss": "Fuller-looking hair (scalp treatment, still under study)",
    "scars": "The look of scars",
}


# "As of" the date of the catalog's sources (the seeded prices take effect then).
FDA_AS_OF = SEED_EFFECTIVE_FROM.year
NOT_FDA_APPROVED = Statement(
    f"No exosome product is approved by the US Food and Drug Administration (FDA) for any "
    f"aesthetic use (as of {FDA_AS_OF}).",
    "regen-2026",
)
INVESTIGATIONAL_WITH_REFERENCE = (
    "{treatment} is investigational, not an approved treatment. It is offered to you only "
    "within the FDA IND or registered clinical trial recorded for this plan: {reference}."
)
INVESTIGATIONAL_WITHOUT_REFERENCE = (
    "{treatment} is investigational, not an approved treatment. It can be offered only within "
    "an FDA IND or a registered clinical trial, and no reference has been recorded for this "
    "plan yet: it cannot be agreed until a clinician records one."
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
        "Plant-derived exosomes are a cosmetic ingredient. They may signal less effectively to "
        "human cells than exosomes of human origin.",
        "chatham",
    ),
    ExosomeSource.SYNTHETIC: Statement(
        "Synthetic “exosome-like” particles are made in a laboratory. Some products sold as "
        "exosomes may be liposomes (simple fat bubbles) rather than vesicles released by cells.",
        "difrancesco",
    ),
}

# The state of the evidence, for every plan (difrancesco; chatham).
EVIDENCE_IS_EARLY = (
    Statement(
        "The evidence is early: most of it comes from laboratory and animal research and small "
        "pilot studies, and few trials in people have been done.",
        "difrancesco",
    ),
    Statement(
        "More clinical trials are needed before the benefit of exosomes in aesthetic treatment "
        "is known; nothing in this plan is a promise of a result.",
        "chatham",
    ),
)
