"""Forms of the administration pages. Lengths follow the columns, so a too-long value is
refused next to its field instead of failing in the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from webapp.core import audit
from webapp.core.webhooks import DINGTALK, WECOM
from webapp.org.labels import DEPARTMENT_KIND_LABELS, ROLE_LABELS
from webapp.org.rules import DepartmentKind, Role


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.upper() if isinstance(value, str) else value


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


PHONE = Regexp(r"^[0-9+\- ]*$", message=_l("Digits only, e.g. 13812345678."))


class ProjectForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[_strip, _upper],
        validators=[
            DataRequired(),
            Length(max=10),
            Regexp(r"^[A-Z0-9]+$", message=_l("Letters and digits only, e.g. CH.")),
        ],
        description=_l("Short, used in record numbers, e.g. CH."),
    )
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), filters=[_strip], validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()


class DepartmentForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[(kind.value, DEPARTMENT_KIND_LABELS[kind]) for kind in DepartmentKind],
        validators=[DataRequired()],
    )
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()


class UserCreateForm(FlaskForm):
    username = StringField(
        _l("Username"),
        filters=[_strip, _lower],
        validators=[DataRequired(), Length(max=50)],
    )
    display_name = StringField(
        _l("Full name"), filters=[_strip], validators=[DataRequired(), Length(max=50)]
    )
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), Length(max=20), PHONE])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Tell the person; they choose their own at the first sign-in."),
    )


class UserEditForm(FlaskForm):
    display_name = StringField(
        _l("Full name"), filters=[_strip], validators=[DataRequired(), Length(max=50)]
    )
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), Length(max=20), PHONE])
    version = HiddenField()


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("Temporary password"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Every device of this person is signed out; they choose their own password at the next sign-in."),
    )


class GrantForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[(role.value, ROLE_LABELS[role]) for role in Role],
        validators=[DataRequired()],
    )
    project = SelectField(_l("Project"), coerce=_optional_int, validate_choice=False)
    department = SelectField(_l("Department"), coerce=_optional_int, validate_choice=False)

    def set_choices(self, projects, departments) -> None:
        """Projects and departments the acting user may see; no project means a company
        role, no department a project role."""
        codes = {p.id: p.code for p in projects}
        self.project.choices = [("", _l("— none (company role) —"))] + [
            (p.id, f"{p.code} · {p.name}") for p in projects
        ]
        self.department.choices = [("", _l("— none —"))] + [
            (d.id, f"{codes.get(d.project_id, '?')} · {d.name}") for d in departments
        ]


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class DayOfMonthField(IntegerField):
    """A whole number; anything else is refused with words about days, not integers."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a day of the month, 1 to 31.")) from None


class MonthsField(IntegerField):
    """A whole number of months, or empty; anything else is refused in words about months."""

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a whole number of months, or leave it empty.")) from None


class RetentionForm(FlaskForm):
    """PIPL: how long owners' personal data stays on closed records (webapp.org.retention)."""

    # the rule (1–120, empty or 0 keeps the data) is checked by the operation
    retention_months = MonthsField(
        _l("Anonymise owners' personal data of closed records after (months)"),
        validators=[Optional()],
        description=_l(
            "Names on closed records become 已匿名 and their phone numbers are removed this many "
            "calendar months after the record closed; the records and their figures stay. "
            "Leave it empty to keep the data."
        ),
    )


class CompanyForm(RetentionForm):
    name = StringField(_l("Company name"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    # the rule (1–31) is checked by the operation, with its own message next to the field
    cutoff_day = DayOfMonthField(
        _l("Monthly report cut-off day"),
        validators=[InputRequired(message=_l("Enter a day of the month, 1 to 31."))],
        description=_l(
            "Monthly reports cover the day after the cut-off day in the previous month up to the "
            "cut-off day; in a shorter month the period ends on its last day. The SOP sets the 25th."
        ),
    )


ROBOT_KIND_LABELS = {WECOM: _l("WeCom (企业微信)"), DINGTALK: _l("DingTalk (钉钉)")}
audit.VALUE_LABELS[("group_robots", "kind")] = ROBOT_KIND_LABELS


class RobotForm(FlaskForm):
    """A project's group robot. The secret is never rendered back: empty keeps it."""

    kind = RadioField(
        _l("Group chat service"),
        choices=list(ROBOT_KIND_LABELS.items()),
        default=WECOM,
        validators=[InputRequired(message=_l("Choose WeCom or DingTalk."))],
    )
    url = StringField(
        _l("Webhook address"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Paste the robot's webhook address.")), Length(max=500)],
        description=_l("Copy it from the robot's settings in the group chat."),
    )
    secret = PasswordField(
        _l("Secret (DingTalk signing, 加签)"),
        filters=[_strip],
        validators=[Optional(), Length(max=200)],
        description=_l("Only for a DingTalk robot secured by signing; it starts with SEC."),
    )
    clear_secret = BooleanField(_l("Remove the saved secret"))
    keyword = StringField(
        _l("Keyword (DingTalk)"),
        filters=[_strip],
        validators=[Optional(), Length(max=50)],
        description=_l("Only for a DingTalk robot secured by a keyword: every message carries it."),
    )
    enabled = BooleanField(_l("Post urgent matters to this group"), default=True)
    version = HiddenField()
