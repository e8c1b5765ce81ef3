"""gunicorn settings for production (README, Deploying):
`gunicorn -c clinic/deploy/gunicorn.conf.py`."""

import multiprocessing
import os

wsgi_app = "clinic.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
timeout = 30
accesslog = "-"
# The request line without its query string (%(U)s, not %(r)s): a patient search
# (`/patients/?q=<name>`) must not leave patients' names in the access log.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
