"""The owners' pages of the activities slice, reached from a QR poster: the survey
(ACT-01) and an activity's page with the reply (ACT-16). No login, no staff navigation,
nothing of any owner on them (EST-03).

What both pages share lives here: the blueprint, the household's two fields, the rate
limits (per client and token), the CSRF check done by the form, and the message pages
(not found, too many attempts) in the owners' light layout."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from wtforms import StringField

from webapp.activities.rules import PHONE_DIGITS
from webapp.core.forms import strip
from webapp.core.web import public
from webapp.extensions import csrf, limiter
from webapp.org.models import Project

bp = Blueprint("activity_public", __name__)

#: the owners' pages stay out of search engines and caches
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


class HouseholdForm(FlaskForm):
    """The household as the owner names it: the unit as typed and the last four digits of a
    phone on file (households.find_household). CSRF is checked by the form (validate), not
    by the app-wide check: an expired page comes back with what the owner typed and a fresh
    token instead of a dead end (see `expired`)."""

    unit_text = StringField(
        _l("Building and unit"),
        filters=[strip],
        render_kw={"maxlength": 40, "placeholder": _l("e.g. 3栋1502"), "autocomplete": "off"},
    )
    phone_digits = StringField(
        _l("Last four digits of your phone"),
        filters=[strip],
        render_kw={"inputmode": "numeric", "maxlength": PHONE_DIGITS, "autocomplete": "off", "pattern": "[0-9]*"},
    )


def expired(form: FlaskForm) -> str | None:
    """The notice for a form refused for its CSRF token (the page was open too long)."""
    if "csrf_token" not in form.errors:
        return None
    return gettext("This form has expired. Please check it and send it again.")


# ---------------------------------------------------------------------------- rate limits


def per_client_and_token(kind: str) -> Callable[[], str]:
    """The limits count per client address and per page (its token): the four-digit check
    cannot be tried through, and one noisy neighbour does not close the page for the estate."""

    def key() -> str:
        token = (request.view_args or {}).get("token") or ""
        return f"{get_remote_address()}|{kind}|{token[:64]}"

    return key


def _sent(response) -> bool:
    """A stored answer (a 303) is what the sending limit counts; a refused one is an attempt."""
    return response.status_code == 303


def _config(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def owner_form(kind: str):
    """An owners' page with a form (GET shows it, POST sends it): public, CSRF checked by the
    form, limited per client and token (pages shown, attempts, answers stored)."""
    key = per_client_and_token(kind)
    decorators = (
        limiter.limit(_config("OWNER_PAGE_LIMIT"), key_func=key, methods=["GET"]),
        limiter.limit(_config("OWNER_FORM_ATTEMPT_LIMIT"), key_func=key, methods=["POST"]),
        limiter.limit(_config("OWNER_FORM_LIMIT"), key_func=key, methods=["POST"], deduct_when=_sent),
        csrf.exempt,
        public,
    )

    def decorate(view):
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return decorate


def owner_page(kind: str):
    """An owners' page without a form: public, limited per client and token."""

    def decorate(view):
        return limiter.limit(_config("OWNER_PAGE_LIMIT"), key_func=per_client_and_token(kind))(public(view))

    return decorate


# ---------------------------------------------------------------------------- message pages


def message_page(title: str, detail: str, status: int, project: Project | None = None):
    body = render_template("activities/public_message.html", title=title, detail=detail, project=project)
    return body, status, PRIVATE_HEADERS


def not_found():
    return message_page(
        gettext("Not found"),
        gettext("This link is not valid. Please scan the QR code on the notice board again."),
        404,
    )


@bp.errorhandler(429)
def too_many(error=None):
    """The owners' pages say so in their own light layout, not the staff's."""
    return message_page(
        gettext("Too many attempts"),
        gettext("Too many attempts were made from this network in a short time. Please try again later, "
                "or ask the customer-service centre."),
        429,
    )
