"""The app's own date formatting gives exactly what Babel's format_datetime gave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, format_datetime

from webapp import create_app
from webapp.config import TestConfig
from webapp.core.clock import to_local
from webapp.core.web import local_time

PATTERNS = ["yyyy-MM-dd HH:mm", "HH:mm", "HH:mm:ss", "yyyy-MM-dd", "yyyy年MM月dd日 HH:mm", "'at' HH:mm"]
#: patterns with names or locale-dependent fields: these still go through Babel
LOCALE_PATTERNS = ["EEEE d MMMM y", "y年M月d日 EEEE", "short", "medium", "yy-M-d h:mm a"]


def _moments() -> list[datetime]:
    around = [
        datetime(2025, 12, 31, 16, 0, tzinfo=UTC),  # local new year's midnight
        datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC),  # the last second of a local February
        datetime(2024, 2, 28, 16, 0, tzinfo=UTC),  # local 29 February
        datetime(1999, 12, 31, 15, 59, 59, tzinfo=UTC),
        # Shanghai kept summer time in 1986-1991: the wall clock jumped at its edges
        datetime(1986, 5, 3, 17, 59, 59, tzinfo=UTC),
        datetime(1986, 5, 3, 18, 0, tzinfo=UTC),
        datetime(1991, 9, 14, 16, 59, 59, tzinfo=UTC),
        datetime(1991, 9, 14, 17, 0, tzinfo=UTC),
        datetime(1940, 6, 2, 16, 0, tzinfo=UTC),  # wartime summer time
    ]
    moments = []
    for edge in around:
        moments += [edge + timedelta(seconds=s) for s in (-3601, -1, 0, 1, 3599)]
    # a walk over four decades that lands on every hour and minute of the day
    start = datetime(1985, 1, 1, tzinfo=UTC)
    moments += [start + timedelta(minutes=7919 * i, seconds=i % 60) for i in range(2500)]
    # a moment given in another zone is still shown in Shanghai time
    moments.append(datetime(2026, 3, 8, 2, 30, tzinfo=ZoneInfo("America/New_York")))
    return moments


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formatting")
    return create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/app.db"})


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_scale_local_time_writes_what_babel_writes(app, language):
    moments = _moments()
    with app.test_request_context("/"), force_locale(language):
        for pattern in PATTERNS + LOCALE_PATTERNS:
            for moment in moments:
                assert local_time(moment, pattern) == format_datetime(to_local(moment), pattern), (pattern, moment)
        for moment in moments:
            assert local_time(moment) == format_datetime(to_local(moment), "yyyy-MM-dd HH:mm")


def test_scale_local_time_shows_shanghai_wall_time(app):
    with app.test_request_context("/"), force_locale("en"):
        assert local_time(datetime(2025, 12, 31, 16, 0, 5, tzinfo=UTC), "yyyy-MM-dd HH:mm:ss") == "2026-01-01 00:00:05"
        assert local_time(datetime(1988, 7, 1, 0, 0, tzinfo=UTC), "HH:mm") == "09:00"  # summer time then
        assert local_time(None) == ""
        with pytest.raises(ValueError):
            local_time(datetime(2026, 1, 1, 12, 0))  # a naive moment has no place on the clock
