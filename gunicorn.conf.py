"""gunicorn settings for production. gunicorn reads this file when started from the
checkout (it looks for ./gunicorn.conf.py), or name it: `gunicorn -c gunicorn.conf.py wsgi:app`.

Logs: the access log goes to stdout and the error log to stderr (journald or the
container runtime keeps them). The access log never holds a link's secret, a query
value or the Referer: see intake/gunicorn_logging.py and intake/logredact.py.
"""

import gc
import multiprocessing
import os

from intake.logredact import install

# Every log record of the master and the workers is redacted as it is made.
install()

# HOST and PORT as `make run` uses them; 0.0.0.0:8000 if unset. Behind a reverse
# proxy on the same machine, HOST=127.0.0.1 keeps the app off the network.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"

# WEB_CONCURRENCY (the usual name) or two per CPU plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 30

# gunicorn's own handling of X-Forwarded-Proto and friends trusts only these
# addresses (its default). The client address and scheme the app uses are decided by
# werkzeug's ProxyFix, set with INTAKE_PROXY_FIX_X_FOR / INTAKE_PROXY_FIX_X_PROTO:
# configure the proxy there, and widen this only if the proxy runs on another host.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logger_class = "intake.gunicorn_logging.RedactingLogger"
# Address, time, request line (path redacted), status, size, duration, user agent.
# No Referer, no raw query string: the logger redacts those atoms anyway.
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def post_worker_init(worker):
    """Put what the worker loaded (modules, the mapper registry, compiled templates,
    translations: ~160,000 objects that live as long as the process) out of the
    garbage collector's reach. Otherwise every full collection walks them all: 120 to
    200 ms on the benchmark's machine, on about one waitlist request in eighteen
    (docs/PERFORMANCE.md, "Garbage collection"). Objects made later, per request, are
    collected as before. Freezing after the fork: with preload_app (not set here) it
    would also copy the pages the workers share with the master."""
    gc.collect()
    gc.freeze()
