"""Forms of the administration pages. Lengths follow the columns, so a too-long value is
refused next to its field instead of failing in the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

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
