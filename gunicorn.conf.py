"""gunicorn settings for the demo and for production behind a reverse proxy.

Override with environment variables: BIND, WEB_CONCURRENCY.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
# Sync workers: every request is short and database-bound; 2 per core keeps a core busy
# while the other worker waits for SQLite's write lock or PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
accesslog = os.environ.get("ACCESS_LOG", "-")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
