"""APP-04 robot delivery against a local receiver on 127.0.0.1 that checks what WeCom and
DingTalk check: the path, the JSON content type, the payload shape and DingTalk's signature.
All traffic stays on 127.0.0.1; every call is bounded by a 0.5 s timeout."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webapp.core.webhooks import build_payload, deliver, sign_dingtalk_url

LOCAL = ["127.0.0.1"]
TIMEOUT = 0.5
SECRET = "SEC000test"
NOW_MS = 1764300000000


def _shape_error(path: str, query: dict, body: dict) -> str | None:
    """What the vendor would complain about, or None when the message is well formed."""
    if path == "/cgi-bin/webhook/send":
        if not query.get("key"):
            return "missing key"
        kind = body.get("msgtype")
        if kind == "markdown":
            if set(body) != {"msgtype", "markdown"} or set(body["markdown"]) != {"content"}:
                return "bad markdown keys"
            if len(body["markdown"]["content"].encode("utf-8")) > 4096:
                return "content too long"
            return None
        if kind == "text":
            allowed = {"content", "mentioned_list", "mentioned_mobile_list"}
            if set(body) != {"msgtype", "text"} or not set(body["text"]) <= allowed:
                return "bad text keys"
            if not isinstance(body["text"].get("content"), str):
                return "missing content"
            return None
        return "invalid message type"
    if path == "/robot/send":
        if not query.get("access_token"):
            return "missing access_token"
        if "sign" in query:
            expected = base64.b64encode(
                hmac.new(SECRET.encode(), f"{query['timestamp']}\n{SECRET}".encode(), hashlib.sha256).digest()
            ).decode()
            if query["sign"] != expected:
                return "sign not match"
        if body.get("msgtype") != "markdown" or set(body) - {"msgtype", "markdown", "at"}:
            return "bad keys"
        if set(body["markdown"]) != {"title", "text"}:
            return "bad markdown keys"
        at = body.get("at", {})
        if set(at) - {"atMobiles", "atUserIds", "isAtAll"} or not isinstance(at.get("isAtAll", False), bool):
            return "bad at"
        return None
    return "unknown path"


class Receiver:
    """A robot stand-in: records requests; `mode` chooses the answer."""

    def __init__(self):
        self.requests: list[dict] = []
        self.mode = "ok"
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                record = {
                    "path": parts.path,
                    "query": query,
                    "content_type": self.headers.get("Content-Type"),
                    "body": json.loads(raw.decode("utf-8")),
                }
                receiver.requests.append(record)
                mode = receiver.mode
                if mode == "slow":
                    receiver.release.wait(5)  # far past the client's timeout; released at teardown
                    return
                if mode == "http500":
                    return self._answer(500, {"errcode": -1, "errmsg": "system busy"})
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "not-json":
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    return
                if mode == "errcode":
                    return self._answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
                if mode == "too-fast":
                    return self._answer(200, {"errcode": 130101, "errmsg": "send too fast"})
                if record["content_type"] != "application/json; charset=utf-8":
                    return self._answer(200, {"errcode": 40008, "errmsg": "invalid content type"})
                problem = _shape_error(parts.path, query, record["body"])
                if problem:
                    return self._answer(200, {"errcode": 40008, "errmsg": problem})
                return self._answer(200, {"errcode": 0, "errmsg": "ok"})

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def wecom(self):
        return f"{self.base}/cgi-bin/webhook/send?key=test-key"

    @property
    def dingtalk(self):
        return f"{self.base}/robot/send?access_token=test-token"


@pytest.fixture
def receiver(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    robot = Receiver()
    robot.thread.start()
    yield robot
    robot.release.set()
    robot.server.shutdown()
    robot.server.server_close()
    robot.thread.join(2)


LINES = ["3栋1单元1202 业主 13812341234", "厨房 [漏水](http://evil.example) <b>严重</b>"]


def test_app04_wecom_markdown_is_delivered_in_the_documented_shape(receiver):
    payload = build_payload("wecom", "重要投诉待处理", LINES, link="https://desk.example.cn/c/12")
    result = deliver(receiver.wecom, payload, timeout=TIMEOUT, allow_hosts=LOCAL)
    assert result.ok, result.reason
    assert result.errcode == 0 and result.status == 200
    (got,) = receiver.requests
    assert got["query"] == {"key": "test-key"}
    assert got["body"] == payload  # UTF-8 JSON arrives intact
    assert "13812341234" not in got["body"]["markdown"]["content"]


def test_app04_wecom_text_with_mentions_is_delivered(receiver):
    payload = build_payload("wecom", "工单超时", LINES, mention_mobiles=["13900001111"])
    result = deliver(receiver.wecom, payload, timeout=TIMEOUT, allow_hosts=LOCAL)
    assert result.ok, result.reason
    assert receiver.requests[0]["body"]["text"]["mentioned_mobile_list"] == ["13900001111"]


def test_app04_signed_dingtalk_markdown_is_delivered(receiver):
    payload = build_payload("dingtalk", "重要投诉待处理", LINES, mention_mobiles=["13900001111"])
    url = sign_dingtalk_url(receiver.dingtalk, SECRET, NOW_MS)
    result = deliver(url, payload, timeout=TIMEOUT, allow_hosts=LOCAL)
    assert result.ok, result.reason
    (got,) = receiver.requests
    assert got["query"]["timestamp"] == str(NOW_MS)
    assert got["body"]["at"] == {"atMobiles": ["13900001111"], "isAtAll": False}


def test_app04_a_wrong_dingtalk_signature_fails_with_the_vendor_reason(receiver):
    payload = build_payload("dingtalk", "t", ["x"])
    url = sign_dingtalk_url(receiver.dingtalk, "SECwrong", NOW_MS)
    result = deliver(url, payload, timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok
    assert result.errcode == 40008 and "sign not match" in result.reason
    assert not result.retryable


def test_app04_a_malformed_payload_is_rejected_by_the_receiver(receiver):
    result = deliver(receiver.wecom, {"msgtype": "news"}, timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok and "invalid message type" in result.reason


def test_app04_vendor_errcode_is_a_failure(receiver):
    receiver.mode = "errcode"
    result = deliver(receiver.wecom, build_payload("wecom", "t", ["x"]), timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok
    assert result.errcode == 93000
    assert result.reason == "errcode 93000: invalid webhook url"
    assert not result.retryable  # a wrong robot address stays wrong


def test_app04_rate_limit_errcode_is_retried(receiver):
    receiver.mode = "too-fast"
    result = deliver(receiver.dingtalk, build_payload("dingtalk", "t", ["x"]), timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok and result.retryable and result.errcode == 130101


def test_app04_http_500_is_a_retryable_failure(receiver):
    receiver.mode = "http500"
    result = deliver(receiver.wecom, build_payload("wecom", "t", ["x"]), timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok and result.retryable
    assert result.status == 500 and result.reason == "HTTP 500"


def test_app04_a_receiver_past_the_timeout_is_a_retryable_failure(receiver):
    receiver.mode = "slow"
    result = deliver(receiver.wecom, build_payload("wecom", "t", ["x"]), timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok and result.retryable
    assert result.reason == "timed out after 0.5 s"


def test_app04_a_redirect_is_not_followed(receiver):
    receiver.mode = "redirect"
    result = deliver(receiver.wecom, build_payload("wecom", "t", ["x"]), timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok and result.status == 302
    assert len(receiver.requests) == 1


def test_app04_an_answer_without_errcode_is_a_failure(receiver):
    receiver.mode = "not-json"
    result = deliver(receiver.wecom, build_payload("wecom", "t", ["x"]), timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok and "no errcode" in result.reason


def test_app04_nothing_listening_is_a_retryable_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = deliver(f"http://127.0.0.1:{port}/robot/send", {"msgtype": "markdown"}, timeout=TIMEOUT, allow_hosts=LOCAL)
    assert not result.ok and result.retryable
    assert result.reason.startswith("connection failed")


def test_app04_a_host_not_allowed_receives_nothing(receiver):
    result = deliver(receiver.wecom, build_payload("wecom", "t", ["x"]), timeout=TIMEOUT)
    assert not result.ok and not result.retryable
    assert receiver.requests == []
