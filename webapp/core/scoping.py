"""Project scoping (ORG-02): the one mechanism every query goes through.

A request by a signed-in user carries the set of project ids that user may see
(None = every project, for company roles). An ORM event adds
``project_id IN (...)`` to every SELECT, UPDATE and DELETE touching a
``Scoped`` class, so a view cannot forget it: another project's record is simply
not found, and the view answers 404. A flush that would write a record into a project
outside the scope is refused.

Work that legitimately spans projects (CLI commands, the SLA sweep, public QR pages that
look a record up by its unguessable token) runs outside a request scope or inside
``unrestricted()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import g, has_app_context

from webapp.core.db import Scoped

ALL_PROJECTS = None
_UNSET = object()


class ScopeViolation(Exception):
    """A write into a project the acting user does not belong to."""


def current_scope() -> frozenset[int] | None:
    """The project ids visible now; None means no restriction."""
    if not has_app_context():
        return ALL_PROJECTS
    scope = g.get("project_scope", _UNSET)
    if scope is _UNSET:
        return ALL_PROJECTS
    return scope


def set_scope(project_ids: frozenset[int] | None) -> None:
    g.project_scope = project_ids


@contextmanager
def unrestricted() -> Iterator[None]:
    """Lift the scope for a block (token-addressed public pages, system jobs)."""
    previous = g.get("project_scope", _UNSET)
    g.project_scope = ALL_PROJECTS
    try:
        yield
    finally:
        if previous is _UNSET:
            g.pop("project_scope", None)
        else:
            g.project_scope = previous


def in_scope(project_id: int) -> bool:
    scope = current_scope()
    return scope is None or project_id in scope


_installed: set[type] = set()


def install(session_class: type[so.Session]) -> None:
    """Attach the listeners once per session class (create_app may run many times)."""
    if session_class in _installed:
        return
    _installed.add(session_class)

    @sa.event.listens_for(session_class, "do_orm_execute")
    def _filter_by_project(state: so.ORMExecuteState) -> None:
        if state.is_column_load or state.execution_options.get("all_projects"):
            return
        if not (state.is_select or state.is_update or state.is_delete):
            return
        scope = current_scope()
        if scope is None:
            return
        project_ids = sorted(scope)
        state.statement = state.statement.options(
            so.with_loader_criteria(
                Scoped,
                lambda cls: cls.scope_column().in_(project_ids),
                include_aliases=True,
                track_closure_variables=True,
            )
        )

    @sa.event.listens_for(session_class, "before_flush")
    def _refuse_foreign_writes(session: so.Session, flush_context, instances) -> None:
        scope = current_scope()
        if scope is None:
            return
        for obj in list(session.new) + list(session.dirty):
            if isinstance(obj, Scoped):
                project_id = getattr(obj, obj.scope_column().key)
                if project_id is not None and project_id not in scope:
                    raise ScopeViolation(
                        f"{type(obj).__name__} in project {project_id} is outside the scope"
                    )
