"""Logging in and out, applicants signing up, choosing the language.

Logins and sign-ups are rate-limited by the engine (the counts live in the
database, shared by every worker): while a limit holds the page answers 429
with ``Retry-After``, even to the right password. The client address is
``request.remote_addr``; behind a reverse proxy set ``PTSP_PROXY_FIX``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from engine import Conflict, InvalidInput, NotFound, TooManyAttempts
from engine.model import APPLICANT_LANE, AUDITOR, PROCESS_OWNER
from engine.services.context import REPORT_LANES
from engine.services.users import EMAIL
from engine.views import UserInfo

from .i18n import LANGUAGES

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "info"


class WebUser(UserMixin):
    """The logged-in person: their login, lanes and roles (the engine decides what they may do)."""

    def __init__(self, info: UserInfo) -> None:
        self.id = info.login
        self.login = info.login
        self.name = info.name
        self.lanes = tuple(info.lanes)
        self.roles = tuple(info.roles)

    @property
    def staff_lanes(self) -> tuple[str, ...]:
        return tuple(lane for lane in self.lanes if lane != APPLICANT_LANE)

    @property
    def is_applicant(self) -> bool:
        return APPLICANT_LANE in self.lanes

    @property
    def is_supervisor(self) -> bool:
        return bool({"Kepala Kantor", "Kasubag"} & set(self.lanes))

    @property
    def is_auditor(self) -> bool:
        return AUDITOR in self.roles

    @property
    def is_process_owner(self) -> bool:
        return PROCESS_OWNER in self.roles

    @property
    def reads_sla_report(self) -> bool:
        """Auditors and the head of office read the SLA report (the engine enforces the same rule)."""
        return self.is_auditor or bool(REPORT_LANES & set(self.lanes))


def engine():
    return current_app.extensions["ptsp_engine"]


@login_manager.user_loader
def load_user(login: str) -> WebUser | None:
    try:
        return WebUser(engine().user(login))
    except NotFound:
        return None


REQUIRED = _l("This field is required.")
LENGTH = _l("Between %(min)d and %(max)d characters.")


def fresh_session() -> None:
    """A new session on login (no fixation), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


class LoginForm(FlaskForm):
    login = StringField(_l("Username"), validators=[DataRequired(message=REQUIRED)])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=REQUIRED)])


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=REQUIRED),
            Length(min=3, max=200, message=LENGTH),
            Regexp(r"^[^\x00-\x1f\x7f]*$", message=_l("Remove the control characters.")),
        ],
    )
    login = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(
                r"^[a-z0-9][a-z0-9._-]{1,63}$",
                message=_l("Use 2 to 64 lowercase letters, digits, dots, dashes or underscores."),
            ),
        ],
    )
    email = EmailField(
        _l("E-mail (optional)"),
        description=_l("We send news of your applications here: a returned file, a product ready to collect."),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            Optional(),
            Length(max=254, message=_l("At most %(max)d characters.")),
            Regexp(EMAIL.pattern + "$", message=_l("Enter an e-mail address such as nama@contoh.id.")),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=REQUIRED), Length(min=8, max=200, message=LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(message=REQUIRED), EqualTo("password", message=_l("The passwords differ."))],
    )


def _client_address() -> str | None:
    """The client's address: the peer, or what ``PTSP_PROXY_FIX`` took from the trusted proxies."""
    return request.remote_addr


def _throttle():
    return current_app.extensions["ptsp_throttle"]


def _refused(template: str, form: FlaskForm, refused: TooManyAttempts, message: str):
    """The form again with the reason it was refused, as 429 with Retry-After."""
    body = render_template(template, form=form, refused=message)
    return body, 429, {"Retry-After": str(refused.retry_after)}


def _wait(refused: TooManyAttempts) -> str:
    """The wait in whole minutes, rounded up, in the UI's language ("15 menit", "60 menit")."""
    minutes = max(1, math.ceil(refused.retry_after / 60))
    return format_timedelta(timedelta(minutes=minutes), granularity="minute", threshold=10_000, add_direction=False)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host) may be a redirect target."""
    if not target or any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/masuk", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("views.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            info = engine().log_in(
                form.login.data.strip().lower(), form.password.data, address=_client_address(), policy=_throttle()
            )
        except TooManyAttempts as refused:
            message = _("Too many failed attempts to log in. Try again in %(time)s.", time=_wait(refused))
            return _refused("login.html", form, refused, message)
        if info is None:
            form.password.errors.append(_("Wrong username or password."))
        else:
            fresh_session()
            login_user(WebUser(info))
            return redirect(_safe_next(request.args.get("next")) or url_for("views.home"))
    return render_template("login.html", form=form), 200 if request.method == "GET" or not form.errors else 400


@bp.post("/keluar")
def logout():
    logout_user()
    fresh_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/daftar", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("views.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            info = engine().sign_up(
                form.login.data,
                form.password.data,
                name=form.name.data.strip(),
                address=_client_address(),
                policy=_throttle(),
                email=form.email.data or None,
            )
        except TooManyAttempts as refused:
            message = _(
                "Too many accounts have been created from this address. Try again in %(time)s.", time=_wait(refused)
            )
            return _refused("register.html", form, refused, message)
        except Conflict:
            form.login.errors.append(_("This username is taken."))
        except InvalidInput:
            form.login.errors.append(_("This username or name is not accepted."))
        else:
            fresh_session()
            login_user(WebUser(info))
            flash(_("Welcome, %(name)s. You can now file an application.", name=info.name), "success")
            return redirect(url_for("views.applications"))
    status = 400 if request.method == "POST" else 200
    return render_template("register.html", form=form), status


@bp.post("/bahasa")
def language():
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")) or url_for("views.home"))


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(bp)
