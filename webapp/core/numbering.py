"""Human record numbers per project and day, e.g. CH-XD-20261128-0007.

People read numbers aloud on the phone and write them on paper forms, so they are short,
dated in Asia/Shanghai and count up per project, series and day. The counter row is
incremented by one UPDATE ... RETURNING, which the database serialises, so two workers
never hand out the same number.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.clock import local_date
from webapp.core.models import RecordCounter


def format_number(project_code: str, series: str, day: date, sequence: int) -> str:
    return f"{project_code}-{series}-{day:%Y%m%d}-{sequence:04d}"


def next_number(session: so.Session, *, project_id: int, project_code: str, series: str, at: datetime) -> str:
    """The next number of `series` in a project for the local day of `at`."""
    day = local_date(at)
    key = (RecordCounter.project_id == project_id, RecordCounter.series == series, RecordCounter.day == day)
    increment = (
        sa.update(RecordCounter)
        .where(*key)
        .values(last=RecordCounter.last + 1)
        .returning(RecordCounter.last)
        .execution_options(synchronize_session=False, all_projects=True)
    )
    sequence = session.execute(increment).scalar()
    if sequence is None:
        try:
            with session.begin_nested():
                session.add(RecordCounter(project_id=project_id, series=series, day=day, last=1))
            sequence = 1
        except sa.exc.IntegrityError:
            # Another request created today's counter first: take the next number from it.
            sequence = session.execute(increment).scalar_one()
    return format_number(project_code, series, day, sequence)
