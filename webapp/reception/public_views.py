"""The owners' pages behind the QR poster (RCP-01 "QR form"): a short form, a thank-you
page with the reference number and the status link, and the status page. No login, no
staff navigation, and nothing of any owner on them (EST-03).

Also the poster itself, a staff page of the reception slice (endpoint reception.poster).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import Length

from webapp.core import qr, scoping
from webapp.core.clock import now as clock_now
from webapp.core.forms import strip
from webapp.core.media import MediaError, store_from_app
from webapp.core.web import message, public
from webapp.estate.rules import normalise_phone
from webapp.extensions import db, limiter
from webapp.org.access import can
from webapp.org.models import Project
from webapp.org.rules import Permission
from webapp.reception import public as owner_requests
from webapp.reception import rules
from webapp.reception.rules import Category, PublicStatus, SpamVerdict

bp = Blueprint("owner_contact", __name__, url_prefix="/contact")

#: what the owner taps: the SOP's word and a plain explanation
OWNER_CATEGORY_LABELS = {
    Category.REPAIR: (_l("Repair"), _l("Something is broken at home or on the estate")),
    Category.COMPLAINT: (_l("Complaint"), _l("You are not satisfied with our service")),
    Category.SERVICE: (_l("Paid service"), _l("Housekeeping, cleaning and other services at home")),
    Category.PRAISE: (_l("Praise"), _l("Tell us who served you well")),
    Category.SUGGESTION: (_l("Suggestion"), _l("An idea for the management of the estate")),
    Category.OTHER: (_l("Other"), _l("Lost property, pets and anything else")),
}
#: the category an owner's status page names (the desk may have reclassified it)
CATEGORY_NAMES = {
    Category.AFTER_SALES: _l("After-sales repair (developer)"),
    **{category: labels[0] for category, labels in OWNER_CATEGORY_LABELS.items()},
}
PUBLIC_STATUS_LABELS = {
    PublicStatus.RECEIVED: _l("Message received"),
    PublicStatus.IN_PROGRESS: _l("Being handled"),
    PublicStatus.DONE: _l("Dealt with"),
    PublicStatus.NOT_PURSUED: _l("Closed"),
}
PUBLIC_STATUS_EXPLANATIONS = {
    PublicStatus.RECEIVED: _l("The customer-service centre has your message and will pass it on shortly."),
    PublicStatus.IN_PROGRESS: _l("Your message has been passed to the people who deal with it."),
    PublicStatus.DONE: _l("The matter has been dealt with. Thank you for telling us."),
    PublicStatus.NOT_PURSUED: _l("This message was closed without further action, for example because it "
                                 "repeated an earlier one. Please contact the customer-service centre if "
                                 "this is not right."),
}
#: where the thank-you page finds what was just sent (this browser's own message)
SENT_KEY = "owner_contact_sent"
#: pages that name a person's message stay out of search engines and caches
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


class OwnerContactForm(FlaskForm):
    category = RadioField(
        _l("What is it about?"),
        choices=[(c.value, OWNER_CATEGORY_LABELS[c][0]) for c in rules.OWNER_CATEGORIES],
        validate_choice=False,
    )
    description = TextAreaField(
        _l("Your message"),
        validators=[Length(max=rules.OWNER_DESCRIPTION_MAX)],
        filters=[strip],
        render_kw={"rows": 4, "maxlength": rules.OWNER_DESCRIPTION_MAX},
    )
    unit_text = StringField(
        _l("Building and unit"),
        filters=[strip],
        render_kw={"maxlength": rules.UNIT_TEXT_MAX, "placeholder": _l("e.g. 5栋801"), "autocomplete": "off"},
    )
    phone = StringField(
        _l("Phone"),
        filters=[strip],
        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 20},
    )
    stamp = HiddenField()
    #: filled by bots only: people never see it (hidden by the stylesheet)
    website = StringField(_l("Leave this empty"), render_kw={"tabindex": "-1", "autocomplete": "off"})


# ---------------------------------------------------------------------------- helpers


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for paper and bookmarks: on PUBLIC_BASE_URL when configured (a poster
    printed from an office-only address must still work), else on this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _project_or_404(project_code: str) -> Project:
    with scoping.unrestricted():
        project = owner_requests.project_by_code(db.session, project_code)
    if project is None:
        abort(404)
    return project


def _fresh_stamp(project: Project) -> str:
    return rules.sign_render_stamp(clock_now(), current_app.config["SECRET_KEY"], project.code)


def _per_client_and_project() -> str:
    """The limits count per client address and per poster: one noisy neighbour does not
    silence a whole estate's form, nor another estate's."""
    code = ((request.view_args or {}).get("project_code") or "").upper()
    return f"{get_remote_address()}|{code}"


def _sent(response) -> bool:
    """A request that stored (or silently dropped) a message: what the sending limit counts.
    A form sent back for correcting does not count: an owner may fix a typo."""
    return response.status_code == 303


def _form_page(
    project: Project,
    form: OwnerContactForm,
    status: int = 200,
    notice: str | None = None,
    *,
    photo_error: str | None = None,
):
    body = render_template(
        "reception/public_form.html",
        project=project,
        form=form,
        notice=notice,
        photo_error=photo_error,
        category_labels=OWNER_CATEGORY_LABELS,
    )
    return body, status, PRIVATE_HEADERS


# ---------------------------------------------------------------------------- errors


@bp.errorhandler(404)
def _not_found(error):
    body = render_template(
        "reception/public_message.html",
        title=gettext("Not found"),
        detail=gettext("This link is not valid. Please scan the QR code on the notice board again."),
    )
    return body, 404, PRIVATE_HEADERS


@bp.errorhandler(429)
def _too_many(error):
    body = render_template(
        "reception/public_message.html",
        title=gettext("Too many messages"),
        detail=gettext(
            "Too many messages were sent from this network in a short time. Please try again "
            "later, or call or visit the customer-service centre."
        ),
    )
    return body, 429, PRIVATE_HEADERS


@bp.errorhandler(CSRFError)
def _form_expired(error):
    """An owner's form whose session expired (a phone left on the page for a day) comes
    back with what they typed and a fresh token, not a dead end."""
    code = (request.view_args or {}).get("project_code")
    if request.endpoint == "owner_contact.form" and code:
        project = _project_or_404(code)
        form = OwnerContactForm(formdata=request.form)
        form.stamp.data = _fresh_stamp(project)
        form.website.data = ""
        return _form_page(project, form, 400, gettext("This form has expired. Please check it and send it again."))
    body = render_template(
        "reception/public_message.html",
        title=gettext("The form expired"),
        detail=gettext("Please go back, reload the page and send it again."),
    )
    return body, 400, PRIVATE_HEADERS


# ---------------------------------------------------------------------------- the owners' pages


@bp.route("/<project_code>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["OWNER_PAGE_LIMIT"], key_func=_per_client_and_project, methods=["GET"])
@limiter.limit(lambda: current_app.config["OWNER_FORM_ATTEMPT_LIMIT"], key_func=_per_client_and_project,
               methods=["POST"])
@limiter.limit(lambda: current_app.config["OWNER_FORM_LIMIT"], key_func=_per_client_and_project, methods=["POST"],
               deduct_when=_sent)
@public
def form(project_code: str):
    """RCP-01: the owner's form. A bot (the hidden field filled) is thanked and forgotten;
    a form sent too fast or too late comes back to be sent again; bad values come back
    (422) with the message next to each field; a good one becomes a new ledger entry."""
    project = _project_or_404(project_code)
    form = OwnerContactForm()
    if request.method == "GET":
        form.stamp.data = _fresh_stamp(project)
        return _form_page(project, form)

    moment = clock_now()
    secret = current_app.config["SECRET_KEY"]
    rendered_at = rules.read_render_stamp(form.stamp.data, secret, project.code)
    check = rules.spam_check(form.website.data, rendered_at, moment)
    if check.verdict is SpamVerdict.DROP:
        session.pop(SENT_KEY, None)
        return redirect(url_for("owner_contact.thanks", project_code=project.code), code=303)
    if check.verdict is SpamVerdict.RETRY:
        form.stamp.data = _fresh_stamp(project)
        return _form_page(project, form, 422, gettext(check.message))

    cleaned, problems = rules.clean_owner_form(
        form.category.data, form.description.data, form.unit_text.data, form.phone.data, normalise_phone
    )
    if cleaned is None:
        for name, problem in problems.items():
            getattr(form, name).errors = [message(problem)]
        return _form_page(project, form, 422)

    with scoping.unrestricted():
        try:
            entry = owner_requests.submit_owner_request(
                db.session, project, cleaned, request.files.getlist("photos"),
                store=store_from_app(current_app), now=moment,
            )
        except MediaError as exc:
            db.session.rollback()
            return _form_page(project, form, 422, photo_error=gettext(exc.message, **exc.params))
        reference, token = entry.number, entry.public_token
        db.session.commit()
    session[SENT_KEY] = {"project": project.code, "reference": reference, "token": token}
    return redirect(url_for("owner_contact.thanks", project_code=project.code), code=303)


@bp.get("/<project_code>/thanks")
@limiter.limit(lambda: current_app.config["OWNER_PAGE_LIMIT"], key_func=_per_client_and_project)
@public
def thanks(project_code: str):
    """What was just sent from this browser: the reference number and the status link to
    keep. Nothing else of the message is shown (a shared phone, a screenshot)."""
    project = _project_or_404(project_code)
    sent = session.get(SENT_KEY) or {}
    if sent.get("project") != project.code or not rules.is_status_token(sent.get("token")):
        sent = {}
    status_link = public_url("owner_contact.status", token=sent["token"]) if sent else None
    body = render_template(
        "reception/public_thanks.html", project=project, reference=sent.get("reference"), status_link=status_link
    )
    return body, 200, PRIVATE_HEADERS


@bp.get("/status/<token>")
@limiter.limit(lambda: current_app.config["OWNER_PAGE_LIMIT"])
@public
def status(token: str):
    """The owner's status page: the reference, category, date received and where the
    matter stands. Never the message, the unit, the phone or who handles it (EST-03).
    Only the unguessable token opens it, never the reference number."""
    if not rules.is_status_token(token):
        abort(404)
    with scoping.unrestricted():
        found = owner_requests.public_status(db.session, token)
    if found is None:
        abort(404)
    view, project = found
    body = render_template(
        "reception/public_status.html",
        project=project,
        view=view,
        category_name=CATEGORY_NAMES[view.category],
        status_label=PUBLIC_STATUS_LABELS[view.status],
        status_explanation=PUBLIC_STATUS_EXPLANATIONS[view.status],
        steps=[PublicStatus.RECEIVED, PublicStatus.IN_PROGRESS, PublicStatus.DONE],
        status_labels=PUBLIC_STATUS_LABELS,
    )
    return body, 200, PRIVATE_HEADERS


# ---------------------------------------------------------------------------- the poster (staff)


def _poster_projects() -> list[Project]:
    projects = db.session.scalars(sa.select(Project).where(Project.active).order_by(Project.name, Project.id))
    return [p for p in projects if can(Permission.VIEW_RECEPTION, p.id) or can(Permission.PRINT_LABELS, p.id)]


def poster():
    """The A4 poster for the notice boards: the project's QR code to the owners' form."""
    project_id = request.args.get("project", type=int)
    if project_id is not None:
        project = db.first_or_404(sa.select(Project).where(Project.id == project_id, Project.active))
        if not (can(Permission.VIEW_RECEPTION, project.id) or can(Permission.PRINT_LABELS, project.id)):
            abort(403)
        projects = _poster_projects()
    else:
        projects = _poster_projects()
        if not projects:
            abort(403)
        project = projects[0]
    form_url = public_url("owner_contact.form", project_code=project.code)
    return render_template(
        "reception/poster.html",
        project=project,
        projects=projects,
        form_url=form_url,
        qr_svg=qr.svg(form_url, css_class="poster-qr", label=gettext("QR code of the owners' contact form")),
        hours=current_app.config.get("OWNER_CONTACT_HOURS"),
        back=url_for("reception.ledger"),
    )


# The poster is a staff page of the reception slice (endpoint reception.poster), added
# with this module's blueprint: the app registers the reception blueprint before it
# imports this module.
bp.record_once(
    lambda state: state.app.add_url_rule(
        "/reception/poster", endpoint="reception.poster", view_func=poster, methods=["GET"]
    )
)
