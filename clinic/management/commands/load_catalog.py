from django.core.management.base import BaseCommand
from django.db import transaction

from clinic.catalog_seed import CONSENTS, EVIDENCE, PRICES, SEED_EFFECTIVE_FROM, TREATMENTS
from clinic.models import ConsentDocument, EvidenceNote, PriceRange, TreatmentType


class Command(BaseCommand):
    help = (
        "Load the documented treatment catalog. Safe to run again: it adds what is missing "
        "and never overwrites a treatment or price the clinic has edited."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        created_treatments = created_prices = 0
        by_slug = {}
        for fields in TREATMENTS:
            fields = dict(fields)
            slug = fields.pop("slug")
            treatment = TreatmentType.objects.filter(slug=slug).first()
            if treatment is None:
                treatment = TreatmentType(slug=slug, **fields)
                treatment.full_clean()
                treatment.save()
                created_treatments += 1
            by_slug[slug] = treatment

        for slug, unit, size, low, high, source in PRICES:
            treatment = by_slug[slug]
            # Any range for this unit, seeded or the clinic's own, means the clinic already
            # has a figure: leave it alone.
            if PriceRange.objects.filter(treatment=treatment, unit=unit, series_size=size).exists():
                continue
            price = PriceRange(
                treatment=treatment,
                unit=unit,
                series_size=size,
                minimum=low,
                maximum=high,
                currency="USD",
                effective_from=SEED_EFFECTIVE_FROM,
                source=source,
                notes="Documented figure from the seeded catalog.",
            )
            price.full_clean()
            price.save()
            created_prices += 1

        for slug, kind, route, text, source in EVIDENCE:
            if not EvidenceNote.objects.filter(slug=slug).exists():
                note = EvidenceNote(slug=slug, kind=kind, route=route, text=text, source=source)
                note.full_clean()
                note.save()

        for slug, title, kinds, text, _sources in CONSENTS:
            # Any version of it means the clinic already has this consent: leave it alone.
            if not ConsentDocument.objects.filter(slug=slug).exists():
                consent = ConsentDocument(slug=slug, title=title, treatment_kinds=kinds, text=text)
                consent.full_clean()
                consent.save()

        self.stdout.write(
            f"Catalog loaded: {created_treatments} treatment(s) and {created_prices} price "
            "range(s) added; existing entries left as they were."
        )
