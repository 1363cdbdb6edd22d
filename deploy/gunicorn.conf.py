"""Gunicorn settings for EstateDesk behind nginx on the same host.

    gunicorn -c deploy/gunicorn.conf.py 'webapp:create_app()'

Every value can be changed from the environment (the systemd unit reads
/etc/estatedesk/estatedesk.env), so this file stays as shipped.
"""

import multiprocessing
import os

# nginx proxies to this address; never expose gunicorn itself to the network.
bind = [os.environ.get("ESTATEDESK_BIND", "127.0.0.1:8000")]

# 2 × cores + 1, capped: each worker holds its own database pool (threads + a few
# connections), and a customer-service desk of a few hundred people does not need more.
_default_workers = min(2 * multiprocessing.cpu_count() + 1, 9)
workers = int(os.environ.get("WEB_CONCURRENCY") or _default_workers)

# Threads, so that a slow phone upload or an xlsx export does not hold a whole process.
worker_class = "gthread"
threads = int(os.environ.get("ESTATEDESK_THREADS") or 4)

# An import of 20,000 units or a month's xlsx report can take a while; nginx waits 90 s.
timeout = int(os.environ.get("ESTATEDESK_TIMEOUT") or 75)
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then: image handling (Pillow) grows a process's memory.
max_requests = 2000
max_requests_jitter = 200

# No preload: each worker imports the app itself, so
#  - `systemctl reload estatedesk` (SIGHUP) starts workers on the newly installed code
#    without dropping connections (with preload the master would keep the old code);
#  - no database connection or Redis client is ever created before the fork and shared
#    between processes.
# A broken configuration (weak SECRET_KEY, SQLite) still stops the service: the worker
# fails to boot and gunicorn exits, so systemd reports the failure with the message.
preload_app = False

# Only nginx on this host may say which scheme and client address a request came from
# (X-Forwarded-Proto / X-Forwarded-For). The app applies ProxyFix for the same headers.
forwarded_allow_ips = os.environ.get("ESTATEDESK_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stderr/stdout: systemd's journal keeps them (journalctl -u estatedesk).
errorlog = "-"
loglevel = os.environ.get("ESTATEDESK_LOG_LEVEL", "info")
accesslog = os.environ.get("ESTATEDESK_ACCESS_LOG", "-") or None
# The path only: no query string and no referrer, which could carry a token, a phone
# number or a search for an owner's name. The client address is the one nginx saw.
access_log_format = '%({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# The path itself can carry a secret: the owners' status links (/contact/status/<token>),
# the survey and activity pages (/survey/<token>, /activity/<token>) and the facility QR
# codes (/f/<token>) are public addresses whose last part is the key. RedactingLogger
# writes them as /contact/status/[redacted], masks phone numbers (138****1234) and blanks
# secret parameters in every request atom. It is defined here rather than imported from
# the app: gunicorn reads this file in its master process, which must not import the app
# (see preload_app). webapp.core.privacy.redact_path applies the same rules to the app's
# own logs; tests/security/test_privacy_logs.py checks that both agree.
import re as _re  # noqa: E402

from gunicorn.glogging import Logger as _Logger  # noqa: E402

_TOKEN_PATHS = _re.compile(r"(/(?:contact/status|survey|activity|f)/)([^/?#\s\"']+)")
_TOKEN_SEGMENT = _re.compile(r"(?<=/)(?=[A-Za-z0-9_-]{16,}(?:[/?#\s\"']|$))(?=[^/]*[A-Z0-9])[A-Za-z0-9_-]{16,}")
_MOBILE = _re.compile(r"(?<![\d])(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![\d])")
_SECRET_PARAMS = _re.compile(
    r"(?i)\b((?:csrf_token|token|access_token|key|secret|sign|password|current_password|confirm|session)=)"
    r"[^&\s\"']+"
)
_REDACTED = "[redacted]"


def redact_path(path):
    """The path (or request line, query, referrer) as the access log may show it."""
    path = _TOKEN_PATHS.sub(lambda m: m.group(1) + _REDACTED, path)
    path = _TOKEN_SEGMENT.sub(_REDACTED, path)
    path = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", path)
    return _SECRET_PARAMS.sub(lambda m: m.group(1) + _REDACTED, path)


class RedactingLogger(_Logger):
    """Gunicorn's logger, with the request's path, line, query and referrer redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "q", "f", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_path(atoms[key])
        return atoms


logger_class = RedactingLogger

proc_name = "estatedesk"

# Worker heartbeat files in memory, not on the (possibly slow) disk.
if os.access("/dev/shm", os.W_OK):  # noqa: S108 - gunicorn creates private files there
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# Gunicorn's control socket goes in systemd's RuntimeDirectory (/run/estatedesk);
# without one (a manual start, the tests) it is switched off rather than put in $HOME.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")
else:
    control_socket_disable = True
