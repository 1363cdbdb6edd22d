"""Estate pages: buildings, units, owners, facilities and their QR codes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from webapp.estate.models import Building
from webapp.extensions import db
from webapp.org.models import Project

bp = Blueprint("estate", __name__, url_prefix="/estate")


@bp.get("/")
def index():
    projects = db.session.scalars(sa.select(Project).where(Project.active).order_by(Project.id)).all()
    buildings = db.session.scalars(sa.select(Building).order_by(Building.project_id, Building.sort_order, Building.name)).all()
    return render_template("estate/index.html", projects=projects, buildings=buildings)
