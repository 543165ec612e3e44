"""gunicorn settings for the demo and for production behind a reverse proxy.

Override with environment variables: BIND, WEB_CONCURRENCY.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
# 2 workers per core keeps a core busy while the other waits for SQLite's write lock or
# PostgreSQL. Threaded workers with one thread each serve like sync workers, but keep
# telling the arbiter they are alive while a request runs: a sync worker streaming a
# million-row export for minutes would be killed after `timeout` seconds.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = 30
# The app logs one line per request without personal data (frontdesk/web.py); gunicorn's
# access log would add the client address and the full URL with its query string.
accesslog = os.environ.get("ACCESS_LOG") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket sits at one path per user: several servers on one host
# (tests, benchmarks, two instances) would take it from each other. We do not use it.
control_socket_disable = True
