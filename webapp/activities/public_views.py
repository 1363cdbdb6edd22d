"""The owners' pages of the activities slice, reached from a QR poster: the survey
(ACT-01) and an activity's page with the reply (ACT-16). No login, no staff navigation,
nothing of any owner on them (EST-03)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("activity_public", __name__)
