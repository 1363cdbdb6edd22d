"""Group-robot webhooks (APP-04): WeCom (企业微信) and DingTalk (钉钉) payloads and delivery.

Besides the in-app inbox, a project may name one group robot; this module knows the two
vendors' public message formats and how to post one message. Standard library only, no
database code, no Flask: the caller decides what to say and when to send.

Formats (as the vendors document them):

* WeCom group robot: ``POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``
  with ``{"msgtype": "markdown", "markdown": {"content": ...}}`` (content at most 4096 bytes
  of UTF-8) or ``{"msgtype": "text", "text": {"content": ..., "mentioned_mobile_list": [...]}}``
  (content at most 2048 bytes). Only the text type can @ people by mobile number, so a
  message that mentions someone is sent as text.
* DingTalk custom robot: ``POST https://oapi.dingtalk.com/robot/send?access_token=...``
  with ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...},
  "at": {"atMobiles": [...], "isAtAll": false}}``. A robot secured by signing ("加签") needs
  ``&timestamp=<ms>&sign=<urlencode(base64(hmac_sha256(secret, "<ms>\\n<secret>")))>`` on
  the URL, and the timestamp must be within an hour of the call: sign just before sending.
  A robot secured by keywords only accepts messages containing one of them (put it in the
  title).
* Both answer ``{"errcode": 0, "errmsg": "ok"}`` on success, another errcode otherwise.

What a message may contain: owners' words are neutralised so they cannot render links,
images, HTML or emphasis, and any mainland mobile number left in the text is masked
(138****1234, EST-03) — full numbers only ever travel in the mention lists, which are
staff numbers chosen by the caller.

The outbox that uses this module (``webapp.core.outbox``): a ``webhook_deliveries`` row per
message, written in the transaction of the change it announces; a runner off the request
path claims due rows, signs DingTalk URLs at send time, calls ``deliver`` and records the
result: sent, or ``next_attempt_at(attempts, now)`` — ``None`` means give up and keep
``last_error`` for the admin page.

``deliver`` never raises and never touches the database, so a robot that is down or
misconfigured cannot break the request or the transaction that triggered it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

WECOM = "wecom"
DINGTALK = "dingtalk"
KINDS = (WECOM, DINGTALK)

#: the only hosts a robot URL may point at, unless the caller explicitly allows another
VENDOR_HOSTS = frozenset({"qyapi.weixin.qq.com", "oapi.dingtalk.com"})

#: WeCom: markdown content ≤ 4096 bytes, text content ≤ 2048 bytes (UTF-8)
MARKDOWN_MAX_BYTES = 4096
TEXT_MAX_BYTES = 2048
ELLIPSIS = "…"

#: attempts in all (the first one included); waits between them double from one minute
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)

#: vendor errcodes worth retrying: busy (-1), too many messages (WeCom 45009, DingTalk 130101)
RETRYABLE_ERRCODES = frozenset({-1, 45009, 130101})

#: at most this much of a response is read
MAX_RESPONSE_BYTES = 64 * 1024

# Markdown/HTML syntax characters become their full-width forms: they read the same to a
# person and no renderer treats them as syntax (links, images, HTML, emphasis, code, headings).
_NEUTRAL = str.maketrans(
    {
        "<": "＜",
        ">": "＞",
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "~": "～",
        "|": "｜",
        "\\": "＼",
        "&": "＆",
        "!": "！",
    }
)

# An 11-digit mainland mobile, alone (not part of a longer number), optionally written
# +86 / 86 first and in 3-4-4 groups.
_MOBILE = re.compile(r"(?<![\d])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
_MENTIONABLE = re.compile(r"^1[3-9]\d{9}$")


# ---------------------------------------------------------------------------- payloads


def mask_mobiles(text: str) -> str:
    """Mask every mainland mobile number in free text: 13812341234 → 138****1234."""
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def plain(text: str) -> str:
    """User text for a plain-text message: one line, mobiles masked."""
    return mask_mobiles(_one_line(text))


def escape_markdown(text: str) -> str:
    """User text for a markdown message: one line, mobiles masked, syntax neutralised."""
    text = plain(text).translate(_NEUTRAL)
    # bare addresses would be linked by the renderer: break the pattern, keep it readable
    return text.replace("://", "：//").replace("www.", "www．")


def truncate_utf8(text: str, max_bytes: int, ellipsis: str = ELLIPSIS) -> str:
    """`text` cut on a character boundary so that it fits `max_bytes` of UTF-8, ellipsis included."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    room = max_bytes - len(ellipsis.encode("utf-8"))
    if room <= 0:
        return ""
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut + ellipsis


def _safe_link(link: str | None) -> str | None:
    """Our own link to the record: http(s) only, with nothing that could close the markdown."""
    if not link:
        return None
    parts = urllib.parse.urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urllib.parse.quote(link.strip(), safe=":/?&=%#+,;@$'.-~")


def _mentions(mobiles: Iterable[str]) -> list[str]:
    """Mention list: digits of valid mainland mobiles, in order, once each."""
    seen: list[str] = []
    for mobile in mobiles:
        digits = re.sub(r"\D", "", str(mobile))
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        if _MENTIONABLE.match(digits) and digits not in seen:
            seen.append(digits)
    return seen


def _markdown_body(title: str, lines: Iterable[str], link: str | None, link_label: str | None,
                   max_bytes: int) -> str:
    head = f"### {escape_markdown(title)}\n"
    body = "\n".join(f"> {escape_markdown(line)}" for line in lines if str(line).strip())
    tail = ""
    safe = _safe_link(link)
    if safe:
        tail = f"\n\n[{escape_markdown(link_label)}]({safe})" if link_label else f"\n\n{safe}"
    room = max_bytes - len(head.encode("utf-8")) - len(tail.encode("utf-8"))
    return head + truncate_utf8(body, max(room, 0)) + tail


def _text_body(title: str, lines: Iterable[str], link: str | None, max_bytes: int) -> str:
    head = plain(title)
    body = "\n".join(plain(line) for line in lines if str(line).strip())
    safe = _safe_link(link)
    tail = f"\n{safe}" if safe else ""
    text = head + ("\n" + body if body else "")
    room = max_bytes - len(tail.encode("utf-8"))
    return truncate_utf8(text, max(room, 0)) + tail


def build_payload(
    kind: str,
    title: str,
    lines: Iterable[str],
    link: str | None = None,
    mention_mobiles: Iterable[str] = (),
    *,
    link_label: str | None = None,
) -> dict:
    """The JSON body of one robot message.

    `title` and `lines` are shown to the group (translated by the caller); `link` is the
    absolute URL of the record in the app, shown as `link_label` (or bare);
    `mention_mobiles` are the staff to @ (invalid numbers are dropped).
    """
    lines = list(lines)
    mentions = _mentions(mention_mobiles)
    if kind == WECOM:
        if mentions:
            return {
                "msgtype": "text",
                "text": {
                    "content": _text_body(title, lines, link, TEXT_MAX_BYTES),
                    "mentioned_mobile_list": mentions,
                },
            }
        return {
            "msgtype": "markdown",
            "markdown": {
                "content": _markdown_body(title, lines, link, link_label, MARKDOWN_MAX_BYTES)
            },
        }
    if kind == DINGTALK:
        return {
            "msgtype": "markdown",
            "markdown": {
                "title": truncate_utf8(escape_markdown(title), 128),
                "text": _markdown_body(title, lines, link, link_label, MARKDOWN_MAX_BYTES),
            },
            "at": {"atMobiles": mentions, "isAtAll": False},
        }
    raise ValueError(f"unknown webhook kind {kind!r}")


def sign_dingtalk_url(url: str, secret: str | None, now_ms: int) -> str:
    """The robot URL with DingTalk's `timestamp` and `sign` (replacing any earlier ones)."""
    if not secret:
        return url
    string_to_sign = f"{now_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    sign = base64.b64encode(digest).decode("ascii")
    parts = urllib.parse.urlsplit(url)
    query = [
        (k, v)
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("timestamp", "sign")
    ]
    query += [("timestamp", str(now_ms)), ("sign", sign)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


# ---------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    #: why it failed, for the log and the admin page ("" when ok)
    reason: str = ""
    status: int | None = None
    errcode: int | None = None
    #: False when trying again cannot help (refused URL, 4xx, a configuration errcode)
    retryable: bool = False


def url_refusal(url: str, allow_hosts: Iterable[str] = ()) -> str | None:
    """Why `url` may not be posted to, or None. Only http(s) to the vendors' hosts (SSRF)."""
    if not isinstance(url, str) or not url or any(c.isspace() or ord(c) < 32 for c in url):
        return "malformed URL"
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "malformed URL"
    if parts.scheme not in ("http", "https"):
        return "only http(s) URLs are allowed"
    if not host:
        return "malformed URL"
    allowed = VENDOR_HOSTS | {h.lower() for h in allow_hosts}
    if host.lower() not in allowed:
        return f"host {host} is not a WeCom or DingTalk robot host"
    return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead anywhere (SSRF): answer it as the error it is for a robot."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def deliver(
    url: str,
    payload: dict,
    *,
    timeout: float = 5,
    allow_hosts: Iterable[str] = (),
) -> DeliveryResult:
    """POST `payload` to a robot; success means HTTP 200 and errcode 0. Never raises."""
    refusal = url_refusal(url, allow_hosts)
    if refusal:
        return DeliveryResult(False, refusal)
    try:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        return DeliveryResult(False, f"payload is not JSON: {exc}")
    request = urllib.request.Request(  # noqa: S310 - scheme and host checked above
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            raw = response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        exc.close()
        retryable = exc.code >= 500 or exc.code in (408, 429)
        return DeliveryResult(False, f"HTTP {exc.code}", status=exc.code, retryable=retryable)
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return DeliveryResult(False, f"timed out after {timeout:g} s", retryable=True)
        return DeliveryResult(False, f"connection failed: {reason}", retryable=True)
    except TimeoutError:
        return DeliveryResult(False, f"timed out after {timeout:g} s", retryable=True)
    except (OSError, ValueError) as exc:  # reset connection, bad status line, ...
        return DeliveryResult(False, f"connection failed: {exc}", retryable=True)
    if status != 200:
        return DeliveryResult(False, f"HTTP {status}", status=status, retryable=status >= 500)
    try:
        answer = json.loads(raw.decode("utf-8"))
        errcode = int(answer.get("errcode"))
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
        return DeliveryResult(False, "unexpected response (no errcode)", status=status,
                              retryable=True)
    if errcode != 0:
        errmsg = str(answer.get("errmsg", ""))[:200]
        return DeliveryResult(
            False,
            f"errcode {errcode}: {errmsg}",
            status=status,
            errcode=errcode,
            retryable=errcode in RETRYABLE_ERRCODES,
        )
    return DeliveryResult(True, status=status, errcode=0)


def next_attempt_at(attempt: int, now: datetime) -> datetime | None:
    """When to try again after failed attempt number `attempt` (1 = the first one).

    Waits double: 1, 2, 4, 8 minutes; after the MAX_ATTEMPTS-th failure, None (give up).
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime")
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    if attempt >= MAX_ATTEMPTS:
        return None
    return now + FIRST_RETRY * 2 ** (attempt - 1)
