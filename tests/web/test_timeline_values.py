"""ORG-03: a record's history reads as people write, in the reader's language: coded values
by their labels, money in yuan, moments in local time, whatever the trail stores."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from webapp.core import audit
from webapp.core.web import audit_value


@pytest.mark.parametrize(
    ("entity_type", "name", "value", "zh", "en"),
    [
        ("complaints", "complaint_class", "important", "重要投诉", "Important"),
        ("complaints", "major_grounds", "unresolved_one_month,undelivered_repeated",
         "一个月内未合理解决、承诺服务未落实，多次提出未解决",
         "Not resolved within one month, Promised service not delivered, repeated requests unresolved"),
        ("complaints", "resolution_due_at", "2026-11-27T02:00:00+00:00", "2026-11-27 10:00", "2026-11-27 10:00"),
        ("service_orders", "appointment_at", "2026-11-25 06:00:00+00:00", "2026-11-25 14:00", "2026-11-25 14:00"),
        ("service_orders", "total_fen", 33500, "¥335.00", "¥335.00"),
        ("service_orders", "item", "on_time", "准时到达指定地点", "Arrived at the appointed place on time"),
        ("service_orders", "arrived_late", True, "是", "yes"),
        ("facilities", "kind", "patrol_point", "巡检点", "Patrol point"),
        ("reception_entries", "category", "praise", "表扬", "Praise"),
        ("group_robots", "kind", "dingtalk", "钉钉", "DingTalk (钉钉)"),
        # a moment a slice already wrote as local wall time, and a code nobody labelled
        ("return_slips", "chase_due_at", "2026-11-28 22:30", "2026-11-28 22:30", "2026-11-28 22:30"),
        ("complaints", "satisfaction", "not_a_code", "not_a_code", "not_a_code"),
        ("complaints", "satisfaction", None, "—", "—"),
    ],
)
def test_org03_history_values_read_in_the_readers_language(app, entity_type, name, value, zh, en):
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert audit_value(entity_type, name, value) == zh
        with force_locale("en"):
            assert audit_value(entity_type, name, value) == en


def test_org03_every_labelled_code_has_words_in_both_languages(app):
    with app.test_request_context():
        for (entity_type, name), labels in audit.VALUE_LABELS.items():
            if callable(labels):
                continue
            for code in labels:
                with force_locale("zh_CN"):
                    chinese = audit_value(entity_type, name, str(code))
                with force_locale("en"):
                    english = audit_value(entity_type, name, str(code))
                assert chinese != str(code) and english != str(code), (entity_type, name, code)
                assert chinese != english, (entity_type, name, code, "untranslated")
