"""Record numbers count up per project, series and Asia/Shanghai day."""

from datetime import UTC, datetime

from webapp.core.numbering import format_number, next_number
from webapp.extensions import db


def test_numbers_count_up_per_project_series_and_day(app, world):
    morning = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    with app.app_context():
        first = next_number(db.session, project_id=world.own.id, project_code="OWN", series="XD", at=morning)
        second = next_number(db.session, project_id=world.own.id, project_code="OWN", series="XD", at=morning)
        other_series = next_number(db.session, project_id=world.own.id, project_code="OWN", series="TS", at=morning)
        other_project = next_number(db.session, project_id=world.other.id, project_code="OTH", series="XD", at=morning)
        db.session.commit()
    assert (first, second) == ("OWN-XD-20261128-0001", "OWN-XD-20261128-0002")
    assert other_series == "OWN-TS-20261128-0001"
    assert other_project == "OTH-XD-20261128-0001"


def test_the_day_is_the_local_day_in_shanghai(app, world):
    late_utc = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)  # 00:30 on the 29th in Shanghai
    with app.app_context():
        number = next_number(db.session, project_id=world.own.id, project_code="OWN", series="XD", at=late_utc)
        db.session.commit()
    assert number == "OWN-XD-20261129-0001"


def test_format_pads_the_sequence():
    assert format_number("CH", "XD", datetime(2026, 1, 2).date(), 7) == "CH-XD-20260102-0007"
