"""Helpers shared by the activities slice's page tests (tests/web/test_activity_*.py)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.org.models import User


def page_html(response) -> str:
    return response.get_data(as_text=True)


def field_errors(html: str, name: str) -> list[str]:
    """The messages shown beside a form field (the field must be on the page)."""
    assert f'id="{name}-field"' in html, f"no field {name}"
    return re.findall(rf'<p class="error" id="{name}-error">(.*?)</p>', html, re.S)


def staff_user(session, world, role, where="own") -> User:
    """The world's user of a role in a project ("own"/"other"), or its company-wide one."""
    key = (role, where) if (role, where) in world.users else (role, None)
    return session.scalar(sa.select(User).where(User.username == world.users[key]))
