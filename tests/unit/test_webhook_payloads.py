"""APP-04 group-robot messages: the WeCom and DingTalk formats, what a message may show,
signing, the retry schedule and where a message may be sent. No app, no network."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from webapp.core import webhooks
from webapp.core.webhooks import (
    build_payload,
    escape_markdown,
    mask_mobiles,
    next_attempt_at,
    sign_dingtalk_url,
    truncate_utf8,
    url_refusal,
)

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
LINK = "https://desk.example.cn/complaints/12"

# ---------------------------------------------------------------- vendor shapes


def test_app04_wecom_markdown_has_exactly_the_documented_keys():
    payload = build_payload("wecom", "重要投诉待处理", ["3栋 1单元 1202", "漏水"], link=LINK)
    assert set(payload) == {"msgtype", "markdown"}
    assert payload["msgtype"] == "markdown"
    assert set(payload["markdown"]) == {"content"}
    content = payload["markdown"]["content"]
    assert content.startswith("### 重要投诉待处理\n")
    assert "3栋 1单元 1202" in content and "漏水" in content
    assert content.endswith(LINK)


def test_app04_wecom_with_mentions_is_a_text_message_with_the_mobile_list():
    payload = build_payload(
        "wecom", "工单超时", ["请尽快处理"], link=LINK, mention_mobiles=["139 0000 1111", "bad", "13900001111"]
    )
    assert set(payload) == {"msgtype", "text"}
    assert payload["msgtype"] == "text"
    assert set(payload["text"]) == {"content", "mentioned_mobile_list"}
    assert payload["text"]["mentioned_mobile_list"] == ["13900001111"]
    assert payload["text"]["content"] == f"工单超时\n请尽快处理\n{LINK}"


def test_app04_dingtalk_markdown_has_exactly_the_documented_keys():
    payload = build_payload(
        "dingtalk", "重要投诉待处理", ["漏水"], link=LINK, mention_mobiles=["+86 139-0000-1111"], link_label="查看"
    )
    assert set(payload) == {"msgtype", "markdown", "at"}
    assert payload["msgtype"] == "markdown"
    assert set(payload["markdown"]) == {"title", "text"}
    assert payload["markdown"]["title"] == "重要投诉待处理"
    assert payload["markdown"]["text"] == f"### 重要投诉待处理\n> 漏水\n\n[查看]({LINK})"
    assert payload["at"] == {"atMobiles": ["13900001111"], "isAtAll": False}


def test_app04_payloads_serialise_as_json_with_chinese_intact():
    payload = build_payload("dingtalk", "报修", ["水管爆裂"])
    assert "水管爆裂" in json.dumps(payload, ensure_ascii=False)


def test_app04_unknown_robot_kind_is_refused():
    with pytest.raises(ValueError):
        build_payload("feishu", "t", [])


def test_app04_a_link_that_is_not_http_is_left_out():
    payload = build_payload("wecom", "t", ["x"], link="javascript:alert(1)")
    assert "javascript" not in payload["markdown"]["content"]


# ---------------------------------------------------------------- 4096 bytes


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_app04_long_markdown_is_cut_to_4096_bytes_on_a_character_boundary(kind):
    lines = ["业主反映楼上漏水严重" * 40 for _ in range(5)]  # ~6000 bytes of 3-byte characters
    payload = build_payload(kind, "漏水", lines, link=LINK)
    text = payload["markdown"]["content" if kind == "wecom" else "text"]
    size = len(text.encode("utf-8"))
    assert 4096 - 3 < size <= 4096  # full up to the last whole character
    assert text.endswith(f"…\n\n{LINK}")  # the link survives the cut
    text.encode("utf-8").decode("utf-8")  # valid UTF-8: no character was split


def test_app04_short_markdown_is_not_cut():
    payload = build_payload("wecom", "漏水", ["一句话"])
    assert "…" not in payload["markdown"]["content"]


def test_app04_long_wecom_text_is_cut_to_2048_bytes():
    payload = build_payload("wecom", "漏水", ["漏" * 1000], mention_mobiles=["13900001111"])
    content = payload["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048
    assert content.endswith("…")


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("漏水", 6, "漏水"),
        ("漏水啊", 8, "漏…"),  # 3 + 3-byte ellipsis fits; "漏水…" would take 9
        ("漏水啊", 7, "漏…"),
        ("abcdef", 5, "ab…"),
        ("漏水", 2, ""),
    ],
)
def test_app04_truncation_never_splits_a_character(text, limit, expected):
    assert truncate_utf8(text, limit) == expected


# ---------------------------------------------------------------- owners' words


@pytest.mark.parametrize(
    "hostile",
    [
        "[点我](http://evil.example/x)",
        "![图](http://evil.example/p.png)",
        "<a href='http://evil.example'>link</a>",
        "<font color=\"warning\">假警告</font>",
        "**加粗** _斜体_ `code`",
        "# 标题",
        "看这里 https://evil.example/x 或 www.evil.example",
    ],
)
def test_app04_owner_text_cannot_render_links_html_or_emphasis(hostile):
    payload = build_payload("dingtalk", hostile, [hostile])
    heading, quoted = payload["markdown"]["text"].split("\n")
    assert heading.startswith("### ") and quoted.startswith("> ")
    for shown in (payload["markdown"]["title"], heading[4:], quoted[2:]):
        for syntax in ("<", ">", "[", "]", "(", ")", "*", "_", "`", "#", "://", "www."):
            assert syntax not in shown


def test_app04_neutralised_owner_text_stays_readable():
    assert escape_markdown("[点我](http://x.cn) <b>急</b> **漏水**") == (
        "［点我］（http：//x.cn） ＜b＞急＜/b＞ ＊＊漏水＊＊"
    )


def test_app04_owner_text_cannot_start_new_markdown_lines():
    payload = build_payload("wecom", "t", ["第一行\n# 假标题\n> 假引用"])
    content = payload["markdown"]["content"]
    assert content.count("\n") == 1  # heading + one quoted line
    assert "\n#" not in content


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("业主电话13812341234", "业主电话138****1234"),
        ("138 1234 1234 回电", "138****1234 回电"),
        ("+8613812341234", "138****1234"),
        ("86-138-1234-1234", "138****1234"),
        ("138****1234", "138****1234"),
        ("订单号 213812341234", "订单号 213812341234"),  # 12 digits: not a mobile
        ("座机 021-12345678", "座机 021-12345678"),
    ],
)
def test_app04_full_mobile_numbers_are_masked(text, masked):
    assert mask_mobiles(text) == masked


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
@pytest.mark.parametrize("mentions", [(), ("13900001111",)])
def test_app04_no_full_owner_mobile_reaches_a_robot(kind, mentions):
    payload = build_payload(kind, "回访 13812341234", ["业主 13812341234 要求回电"], mention_mobiles=mentions)
    sent = json.dumps(payload, ensure_ascii=False)
    assert "13812341234" not in sent
    assert "138****1234" in sent or "138＊＊＊＊1234" in sent


# ---------------------------------------------------------------- DingTalk signing


def test_app04_dingtalk_url_is_signed_as_documented():
    # base64(hmac_sha256("SEC000test", "1764300000000\nSEC000test")), computed with openssl:
    # printf '1764300000000\nSEC000test' | openssl dgst -sha256 -hmac SEC000test -binary | base64
    signed = sign_dingtalk_url(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", "SEC000test", 1764300000000
    )
    assert signed == (
        "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1764300000000"
        "&sign=DFzhkZ%2BbJtrD6tQnmIEpXjZWjFvP%2FzzWhMDMCDWqSXk%3D"
    )


def test_app04_resigning_replaces_the_old_signature():
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    once = sign_dingtalk_url(url, "SEC000test", 1)
    twice = sign_dingtalk_url(once, "SEC000test", 1764300000000)
    assert twice == sign_dingtalk_url(url, "SEC000test", 1764300000000)
    assert twice.count("timestamp=") == 1 and twice.count("sign=") == 1


def test_app04_without_a_secret_the_url_is_unchanged():
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    assert sign_dingtalk_url(url, None, 1) == url
    assert sign_dingtalk_url(url, "", 1) == url


# ---------------------------------------------------------------- retries


def test_app04_retries_wait_1_2_4_8_minutes_then_give_up():
    waits = [next_attempt_at(n, T0) for n in range(1, webhooks.MAX_ATTEMPTS + 1)]
    assert waits == [
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=2),
        T0 + timedelta(minutes=4),
        T0 + timedelta(minutes=8),
        None,
    ]
    assert next_attempt_at(webhooks.MAX_ATTEMPTS + 3, T0) is None


def test_app04_retry_schedule_needs_an_aware_time_and_a_real_attempt():
    with pytest.raises(ValueError):
        next_attempt_at(1, datetime(2026, 11, 28, 2, 0))
    with pytest.raises(ValueError):
        next_attempt_at(0, T0)


# ---------------------------------------------------------------- where a message may go


@pytest.mark.parametrize(
    "url",
    [
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        "https://oapi.dingtalk.com/robot/send?access_token=t",
        "https://OAPI.dingtalk.com/robot/send?access_token=t",
    ],
)
def test_app04_vendor_robot_urls_are_allowed(url):
    assert url_refusal(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/cgi-bin/webhook/send",
        "http://169.254.169.254/latest/meta-data/",
        "https://qyapi.weixin.qq.com.evil.example/send",
        "https://qyapi.weixin.qq.com@evil.example/send",
        "file:///etc/passwd",
        "ftp://oapi.dingtalk.com/robot/send",
        "https://oapi.dingtalk.com:99999/robot/send",
        "https://oapi.dingtalk.com/robot/send?x=1\r\nHost: evil",
        "",
    ],
)
def test_app04_other_urls_are_refused(url):
    assert url_refusal(url)


def test_app04_an_extra_host_is_allowed_only_when_named():
    url = "http://127.0.0.1:8080/cgi-bin/webhook/send"
    assert url_refusal(url, allow_hosts=["127.0.0.1"]) is None
    assert url_refusal("http://10.0.0.1/x", allow_hosts=["127.0.0.1"])


def test_app04_a_refused_url_is_a_failed_result_not_an_exception():
    result = webhooks.deliver("http://169.254.169.254/latest/", {"msgtype": "text"})
    assert not result.ok and not result.retryable
    assert "not a WeCom or DingTalk" in result.reason
