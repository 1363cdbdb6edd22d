"""Sign-in, sign-out and the user's own account. Admin pages live in webapp/admin/."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from webapp.core.rulekit import RuleViolation
from webapp.core.web import message, public
from webapp.extensions import db, limiter
from webapp.org import auth, operations
from webapp.org.forms import LanguageForm, LoginForm, PasswordChangeForm
from webapp.org.rules import LOGIN_FAILED

bp = Blueprint("org", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: no open redirect through ?next=.

    Browsers read a backslash as a slash and drop tabs and newlines inside URLs, so
    "/\\evil.example" or "/\t/evil.example" would leave the site: refuse them too.
    """
    if not target or not target.startswith("/") or len(target) > 2000:
        return None
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


def _submitted_username() -> str:
    return (request.form.get("username") or "").strip().lower()[:50]


def _username_key() -> str:
    return "login-user:" + _submitted_username()


def _login_failed(response) -> bool:
    """Only a refused sign-in counts against the limits: a success, an expired form (400)
    or a request already refused (429) does not."""
    return response.status_code == 422


def _login_failed_for_a_username(response) -> bool:
    return _login_failed(response) and bool(_submitted_username())


@bp.errorhandler(429)
def _too_many_sign_ins(error):
    """The limits of the login form: the form again, with a clear message, status 429."""
    form = LoginForm()
    form.password.data = None
    limit = getattr(getattr(error, "limit", None), "limit", None)
    minutes = max(1, limit.get_expiry() // 60) if limit is not None else 15
    form.form_errors.append(
        gettext(
            "Too many failed sign-ins. For your safety, signing in to this account or from "
            "this network is paused: try again in %(minutes)s minutes, or ask an "
            "administrator to reset your password.",
            minutes=minutes,
        )
    )
    return render_template("auth/login.html", form=form), 429


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
    deduct_when=_login_failed_for_a_username,
)
@public
def login():
    form = LoginForm(next=request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(form.next.data) or url_for("inbox.my_work"))
    if form.validate_on_submit():
        user = auth.authenticate(db.session, form.username.data, form.password.data)
        if user is not None:
            if current_user.is_authenticated and current_user.auth_session is not None:
                # this browser's earlier session ends: its token opens nothing any more
                auth.end_session(db.session, current_user.auth_session)
            session.clear()  # a fresh session at sign-in: nothing carried from before
            shared = form.shared_device.data
            remember = form.remember.data and not shared
            auth.start_session(
                db.session,
                user,
                remember=remember,
                shared_device=shared,
                user_agent=request.user_agent.string,
            )
            db.session.commit()
            login_user(user, remember=remember)
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
    _forget_this_device()
    return redirect(url_for("org.login"), code=303)


def _forget_this_device() -> None:
    """Empty the session, then log out: in this order Flask-Login still clears the
    remember cookie at the end of the request."""
    session.clear()
    logout_user()


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = PasswordChangeForm()
    language_form = LanguageForm(locale=current_user.locale or "zh_CN")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        remember = bool(user.auth_session and user.auth_session.remember)
        shared = bool(user.auth_session and user.auth_session.shared_device)
        try:
            operations.change_own_password(
                db.session,
                user,
                current_password=form.current_password.data,
                password=form.password.data,
            )
        except RuleViolation as exc:
            db.session.rollback()
            getattr(form, exc.field or "password").errors.append(message(exc))
        else:
            # Every session ended; this device continues in a fresh one.
            auth.start_session(
                db.session,
                user,
                remember=remember,
                shared_device=shared,
                user_agent=request.user_agent.string,
            )
            db.session.commit()
            login_user(user, remember=remember)
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
    _forget_this_device()
    flash(gettext("You were signed out on every device."), "success")
    return redirect(url_for("org.login"), code=303)


def _note_ended_session() -> None:
    """When the session cookie named a session that has ended (timed out, signed out
    elsewhere, user disabled): forget it in this browser, remember cookie included, and
    say why on the sign-in page."""
    why = g.pop("session_ended", None)
    if why is None:
        return
    idle_limit = g.pop("session_idle_limit", None)
    logout_user()
    if why == auth.IDLE and idle_limit is not None:
        minutes = max(1, int(idle_limit.total_seconds() // 60))
        flash(
            gettext(
                "You were signed out after %(minutes)s minutes without use. Sign in again.",
                minutes=minutes,
            ),
            "error",
        )
    else:
        flash(gettext("Your sign-in has ended. Sign in again."), "error")


@bp.before_app_request
def _ended_session_on_the_sign_in_page():
    """The sign-in page itself says why the session ended (other pages redirect to it,
    below)."""
    if request.endpoint == "org.login" and request.method == "GET":
        _ = current_user.is_authenticated  # loads the session, and learns if it ended
        _note_ended_session()


@bp.after_app_request
def _follow_the_session(response):
    """Redirected to sign in because the session ended: the sign-in page says why. And
    the owner-signing page hands the device over (auth.HANDOVER_STARTS)."""
    if "session_ended" in g:
        if current_user.is_authenticated:  # signed in again by this very request
            g.pop("session_ended")
        elif response.status_code in (301, 302, 303) and urlsplit(
            response.location or ""
        ).path == url_for("org.login"):
            _note_ended_session()
        else:
            g.pop("session_ended")
            logout_user()
        return response
    if request.endpoint in auth.HANDOVER_STARTS and response.status_code == 200:
        change = auth.hand_over
    elif request.endpoint in auth.HANDOVER_ENDS and response.status_code == 303:
        change = auth.take_back
    else:
        return response
    if current_user.is_authenticated and current_user.auth_session is not None:
        change(db.session, current_user.auth_session)
        db.session.commit()
    return response


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
