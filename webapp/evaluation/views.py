"""Staff evaluation 绩效考评 pages (EVAL): the sheets of a person, a department and a
project, the records behind each figure, the ranking and the company view."""

from __future__ import annotations

from flask import Blueprint

import webapp.evaluation.families  # noqa: F401  (registers the facts families)

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")
