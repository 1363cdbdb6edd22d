"""APP-04 robot delivery against a local receiver on 127.0.0.1 that checks what WeCom and
DingTalk check: the path, the JSON content type, the payload shape and DingTalk's signature.
All traffic stays on 127.0.0.1; every call is bounded by a 0.5 s timeout."""

from __future__ import annotations

import socket

import pytest

from tests import robot_receiver
from tests.robot_receiver import LOCAL, SECRET
from webapp.core.webhooks import build_payload, deliver, sign_dingtalk_url

TIMEOUT = 0.5
NOW_MS = 1764300000000


@pytest.fixture
def receiver(monkeypatch):
    yield from robot_receiver.running(monkeypatch)


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
