"""Owner reception pages (篇3): log a contact, the entry and its routing, the open ledger."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reception", __name__, url_prefix="/reception")
