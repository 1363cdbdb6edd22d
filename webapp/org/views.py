"""Sign-in, sign-out and the user's own account. Admin pages live in org/admin_views.py."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from webapp.core.rulekit import RuleViolation
from webapp.core.web import message, public
from webapp.extensions import db, limiter
from webapp.org import auth
from webapp.org.forms import LanguageForm, LoginForm, PasswordChangeForm
from webapp.org.rules import LOGIN_FAILED, check_password_strength

bp = Blueprint("org", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: no open redirect through ?next=."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _username_key() -> str:
    return "login-user:" + (request.form.get("username") or "").strip().lower()[:50]


def _login_failed(response) -> bool:
    return response.status_code == 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    key_func=_username_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
@public
def login():
    form = LoginForm(next=request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(form.next.data) or url_for("inbox.my_work"))
    if form.validate_on_submit():
        user = auth.authenticate(db.session, form.username.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session at sign-in: nothing carried from before
            auth.start_session(
                db.session, user, remember=form.remember.data, user_agent=request.user_agent.string
            )
            db.session.commit()
            login_user(user, remember=form.remember.data)
            if user.must_change_password:
                return redirect(url_for("org.account"), code=303)
            return redirect(_safe_next(form.next.data) or url_for("inbox.my_work"), code=303)
        form.password.errors.append(gettext(LOGIN_FAILED))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.auth_session is not None:
        auth.end_session(db.session, current_user.auth_session)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("org.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = PasswordChangeForm()
    language_form = LanguageForm(locale=current_user.locale or "zh_CN")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if auth.authenticate(db.session, user.username, form.current_password.data) is None:
            form.current_password.errors.append(gettext("The current password is wrong."))
        else:
            try:
                check_password_strength(form.password.data, user.username)
            except RuleViolation as exc:
                form.password.errors.append(message(exc))
            else:
                user.password_hash = auth.hash_password(form.password.data)
                user.must_change_password = False
                auth.end_all_sessions(db.session, user.id)
                auth.start_session(
                    db.session,
                    user,
                    remember=bool(user.auth_session and user.auth_session.remember),
                    user_agent=request.user_agent.string,
                )
                db.session.commit()
                login_user(user, remember=user.auth_session.remember)
                flash(gettext("Password changed. Every other device was signed out."), "success")
                return redirect(url_for("org.account"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "auth/account.html", form=form, language_form=language_form
    ), status


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere():
    auth.end_all_sessions(db.session, current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("org.login"), code=303)


@bp.post("/language")
@public
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
        session["locale"] = form.locale.data
    return redirect(_safe_next(request.form.get("next")) or url_for("inbox.my_work"), code=303)
