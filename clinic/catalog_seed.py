"""The documented catalog: exactly the figures of shared/domain.md, each with its source key.

A figure no source documents is left as None, and the app shows "not documented" until the
clinic's admin enters its own. Descriptions are written in our own words."""

from datetime import date
from decimal import Decimal

# The sources describe the market "as of 2026"; their prices take effect from then.
SEED_EFFECTIVE_FROM = date(2026, 1, 1)

SOURCES = {
    "mayo-2025": "Mayo Clinic, platelet-derived exosomes in aesthetics (13 May 2025)",
    "difrancesco": "Plastic-surgeon practice article on exosomes in aesthetic medicine",
    "chatham": "Chatham Facial Plastic Surgery, exosomes in aesthetic medicine",
    "gould-interview": "Beauty-magazine interview on exosomes in skincare",
    "regen-2026": "Exosome therapy overview, regenerative-clinic directory (2026)",
}

# The seeded treatments' slugs: what code and tests look them up by.
MICRONEEDLING = "microneedling-topical-exosome"
LASER = "fractional-laser-topical-exosome"
INJECTABLE = "injectable-msc-exosome"

TREATMENTS = [
    {
        "slug": MICRONEEDLING,
        "name": "Microneedling + topical exosome",
        "kind": "microneedling",
        "route": "topical",
        "regulatory_status": "cosmetic_topical",
        "exosome_source": "",
        "description": (
            "Microneedling makes tiny channels in the skin; the exosome preparation is "
            "applied straight afterwards so it reaches deeper layers through them."
        ),
        "downtime_min_hours": 24,
        "downtime_max_hours": 48,
        "downtime_source": "regen-2026",
        "sessions_min": 2,
        "sessions_max": 3,
        "sessions_source": "regen-2026",
        "interval_count": 1,
        "interval_unit": "months",
        "interval_source": "regen-2026",
        "results_develop_weeks_min": 4,
        "results_develop_weeks_max": 6,
        "results_develop_source": "regen-2026",
    },
    {
        "slug": LASER,
        "name": "Fractional laser + topical exosome",
        "kind": "fractional_laser",
        "route": "topical",
        "regulatory_status": "cosmetic_topical",
        "exosome_source": "",
        "description": (
            "A fractional (or ablative) laser opens the skin barrier; the exosome "
            "preparation is applied on the treated skin right after the laser pass."
        ),
        "downtime_min_hours": 72,
        "downtime_max_hours": 168,
        "downtime_source": "regen-2026",
        "sessions_min": 2,
        "sessions_max": 3,
        "sessions_source": "regen-2026",
        # No source gives a cadence for laser + exosome: left for the clinic to enter.
        "interval_count": None,
        "interval_unit": "",
        "interval_source": "",
        "results_develop_weeks_min": 4,
        "results_develop_weeks_max": 6,
        "results_develop_source": "regen-2026",
    },
    {
        "slug": INJECTABLE,
        "name": "Injectable MSC exosome (investigational)",
        "kind": "injectable",
        "route": "injection",
        "regulatory_status": "investigational",
        "exosome_source": "msc",
        "description": (
            "A sterile exosome preparation injected into or under the skin, without a "
            "barrier-disrupting procedure. Investigational: offered only within an IND or "
            "clinical trial; no exosome product is FDA-approved for aesthetic use."
        ),
        # The sources name injection-site reactions, bruising and redness, but no downtime.
        "downtime_min_hours": None,
        "downtime_max_hours": None,
        "downtime_source": "",
        "sessions_min": 2,
        "sessions_max": 3,
        "sessions_source": "regen-2026",
        "interval_count": None,
        "interval_unit": "",
        "interval_source": "",
        "results_develop_weeks_min": 4,
        "results_develop_weeks_max": 6,
        "results_develop_source": "regen-2026",
    },
]

# (treatment slug, unit, series size, minimum, maximum, source)
PRICES = [
    (
        MICRONEEDLING,
        "session",
        None,
        Decimal("600"),
        Decimal("1500"),
        "regen-2026",
    ),
    (MICRONEEDLING, "series", 3, Decimal("2000"), Decimal("4000"), "regen-2026"),
    (INJECTABLE, "session", None, Decimal("3000"), Decimal("6000"), "regen-2026"),
]


# What the sources document beyond the catalog figures, carried as catalog data (in our own
# words) so the patient material never states them from memory. (slug, kind, route, text,
# source); route "" applies to every plan, "topical" to topical treatments, "injection" to
# injected ones. An opinion is labelled as one, never given as a forecast.
EVIDENCE = [
    (
        "mayo-topical-platelet-study",
        "study",
        "topical",
        "Study finding, not a promise for you: in a study of a topical platelet-derived "
        "exosome product the course lasted 12 weeks, and a separate topical study saw "
        "skin-quality improvement after 6 weeks of use.",
        "mayo-2025",
    ),
    (
        "chatham-approval-opinion",
        "opinion",
        "injection",
        "One surgeon's opinion (2025), not a forecast: approval of exosome injections for "
        "aesthetic use may still be 4–5 years away.",
        "chatham",
    ),
]

# Starting consent documents, in this project's own words from the sources. Each is marked as
# a template: the clinic reviews and adapts it before patients sign. (slug, title, kinds, text)
CONSENTS = [
    (
        "investigational-exosome-injection",
        "Consent to an investigational exosome injection (template for the clinic to review)",
        ["injectable"],
        "TEMPLATE: the clinic must review and adapt this text before use.\n\n"
        "What this is. The injection in your plan uses an exosome preparation that is "
        "investigational. No exosome product holds FDA approval for aesthetic use (as of "
        "2026). It is offered to you only as part of an FDA investigational new drug (IND) "
        "application or a registered clinical trial, whose reference the clinic records on "
        "your plan and shows you.\n\n"
        "What is known. The evidence for exosomes in aesthetics is early: much of it comes "
        "from laboratory work and small pilot studies, and larger human trials are still "
        "needed. Nobody can promise you a result.\n\n"
        "Risks. With a well-characterised preparation, the reactions reported are those of "
        "an injection: redness or a reaction where the needle went in, bruising, and "
        "redness that passes. A preparation that is not well characterised may carry other "
        "risks, such as an immune reaction to proteins in it, contamination with microbes, "
        "or unknown effects of the genetic material (miRNA) it carries. Ask the clinician "
        "what is known about the product and lot used for you.\n\n"
        "Your choice. Taking part is voluntary. You may ask questions at any time and may "
        "stop at any time; stopping does not affect your other care.",
        "regen-2026, chatham, difrancesco",
    ),
    (
        "topical-exosome-procedure",
        "Consent to microneedling or laser with a topical exosome product (template for the "
        "clinic to review)",
        ["microneedling", "fractional_laser"],
        "TEMPLATE: the clinic must review and adapt this text before use.\n\n"
        "What this is. Your plan combines a procedure that opens the skin's surface "
        "(microneedling or a fractional laser) with an exosome product applied to the skin "
        "straight afterwards. The exosome product is used on the skin, not injected; it is a "
        "cosmetic product, and no exosome product holds FDA approval for aesthetic use (as "
        "of 2026).\n\n"
        "What is known. The evidence is early, and results differ from person to person. "
        "Results keep developing for about 4–6 weeks after each session. Expect some "
        "downtime: about 24–48 hours after microneedling and about 3–7 days after a "
        "fractional laser, as published sources report.\n\n"
        "Risks. The procedure has its own risks, which your clinician explains. For the "
        "product, a well-characterised preparation is reported to cause few problems beyond "
        "temporary redness; a poorly characterised one may cause immune reactions or carry "
        "contamination. Some products sold as exosomes may in fact be exosome-like "
        "liposomes; ask which product is used for you.\n\n"
        "Your choice. You may ask questions at any time and may stop the course at any time.",
        "regen-2026, difrancesco, chatham",
    ),
]
