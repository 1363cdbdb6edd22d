"""Administration: projects, departments, users and their roles (ORG-01)."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.org.access import permission_required
from webapp.org.rules import Permission

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@permission_required(Permission.MANAGE_PEOPLE)
def index():
    return render_template("admin/index.html")
