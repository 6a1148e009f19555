"""gunicorn settings for the PTSP web UI and API: ``gunicorn -c deploy/gunicorn.conf.py 'webui:create_app()'``.

Every value can be set from the environment, so one file serves every node.
Each worker process builds its own engine (no preloading: a connection pool
must not cross a fork). Timers are not fired here; run ``ptsp worker``.
"""

import os

from engine.logs import logging_dict

bind = os.environ.get("PTSP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PTSP_WEB_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("PTSP_WEB_THREADS", "4"))
preload_app = False
# a request slower than this is cut off and its worker replaced; its transaction rolls back
timeout = int(os.environ.get("PTSP_WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# replace workers now and then so that a slow leak cannot grow without bound
max_requests = 20000
max_requests_jitter = 2000
# only a reverse proxy on these addresses may set X-Forwarded-* headers
forwarded_allow_ips = os.environ.get("PTSP_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "ptsp-web"

logconfig_dict = logging_dict()
accesslog = "-"  # to stderr with the rest, through logconfig_dict
# text for people; with PTSP_LOG_FORMAT=json each line is an object with method, path, status, ms...
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
