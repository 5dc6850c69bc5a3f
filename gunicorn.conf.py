"""Production gunicorn settings: `gunicorn wsgi:app` reads this file from the working directory.

Every value can be changed from the environment without editing this file (GUNICORN_* below,
or gunicorn's own GUNICORN_CMD_ARGS).
"""
import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one database connection and finishes in milliseconds; two per
# core keeps the CPU busy while one waits on PostgreSQL.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
# A request that takes longer than this is stuck (the slowest page answers in well under a
# second); the worker is replaced rather than left holding a connection.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak in any library never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
# Load the app once in the master: workers share its memory pages (copy-on-write).
preload_app = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    # Connections opened in the master (none, normally) must not be shared by forked workers.
    app = server.app.wsgi()
    if "sqlalchemy" in getattr(app, "extensions", {}):
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose(close=False)


def post_worker_init(worker):
    # CPython's full (generation 2) collections walk every object the app loaded at start-up:
    # freezing them after start-up moves them out of the collector's way, which removes the slow
    # tail (p99) that those collections otherwise add to a random request.
    gc.collect()
    gc.freeze()
