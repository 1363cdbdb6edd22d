"""A stand-in for the WeCom and DingTalk group-robot endpoints on 127.0.0.1 (APP-04): it
records each request and answers as the vendors document, checking what they check — the
path, the JSON content type, the payload shape and DingTalk's signature.

Use it through a fixture in the test module::

    @pytest.fixture
    def receiver(monkeypatch):
        yield from robot_receiver.running(monkeypatch)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCAL = ["127.0.0.1"]
SECRET = "SEC000test"


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
        #: modes for the next requests, one each, before `mode` applies again
        self.script: list[str] = []
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
                mode = receiver.script.pop(0) if receiver.script else receiver.mode
                if mode == "slow":
                    receiver.release.wait(5)  # far past the client's timeout; released at teardown
                    return
                if mode == "http500":
                    return self._answer(500, {"errcode": -1, "errmsg": "system busy"})
                if mode == "busy":
                    return self._answer(200, {"errcode": -1, "errmsg": "system busy"})
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


def running(monkeypatch):
    """Start a receiver for one test (no proxy in the way), stop it after."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    robot = Receiver()
    robot.thread.start()
    try:
        yield robot
    finally:
        robot.release.set()
        robot.server.shutdown()
        robot.server.server_close()
        robot.thread.join(2)
