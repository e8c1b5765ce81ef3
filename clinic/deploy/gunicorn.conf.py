"""gunicorn settings for production (README, Deploying):
`gunicorn -c clinic/deploy/gunicorn.conf.py`."""

import multiprocessing
import os

wsgi_app = "clinic.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
# Threads, so that a worker rendering a PDF (CPU work of up to a few seconds) still answers
# plain pages on its other threads; how many PDFs render at once per worker is bounded in the
# app (SUMMARY_PDF_RENDERS_PER_PROCESS), the rest are told "being prepared".
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
accesslog = "-"
# The request line without its query string (%(U)s, not %(r)s): a patient search
# (`/patients/?q=<name>`) must not leave patients' names in the access log.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    """Start the worker's PDF render process and warm WeasyPrint up in it (fonts, imports,
    stylesheet) before the first PDF is asked for: otherwise the first PDF a fresh worker
    renders pays seconds of start-up and font discovery. In the background: the worker must
    finish booting within `timeout`."""
    from planner import summary_pdf

    try:
        summary_pdf.warm_up_in_background()
    except Exception:  # a broken PDF stack must not keep the worker from serving pages
        worker.log.exception("PDF warm-up failed; the first PDF will be slow or fail")
