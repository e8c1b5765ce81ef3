"""The signed record as a PDF: the summary exactly as the patient saw it, the consents'
texts as signed, the drawn signature and the audit details. Made from the record's frozen
fields only, once, and then stored (planner.signing.actions.record_store_pdf)."""

import base64

from django.conf import settings
from django.template.loader import render_to_string

from planner.signing.models import SignedRecord
from planner.summary_pdf import PDF_BASE_URL, static_only_fetcher

PNG_DATA_PREFIX = "data:image/png;base64,"


def _fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static = static_only_fetcher()

    class RecordFetcher(URLFetcher):
        """Static files, and the signature's own PNG data URL; nothing from the network."""

        def fetch(self, url, headers=None):
            if url.startswith(PNG_DATA_PREFIX):
                data = base64.b64decode(url.removeprefix(PNG_DATA_PREFIX))
                return URLFetcherResponse(url, data, headers={"Content-Type": "image/png"})
            return static.fetch(url, headers)

    return RecordFetcher()


def signed_record_pdf(record: SignedRecord) -> bytes:
    from weasyprint import HTML

    signature = bytes(record.signature_png or b"")
    html = render_to_string(
        "signing/record_pdf.html",
        {
            "record": record,
            "consents": list(record.consents.all()),
            "signature_url": PNG_DATA_PREFIX + base64.b64encode(signature).decode()
            if signature
            else "",
            "clinic_name": settings.CLINIC_NAME,
        },
    )
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=_fetcher()).write_pdf(
        pdf_variant="pdf/ua-1"
    )
