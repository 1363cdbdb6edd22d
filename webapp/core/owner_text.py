"""Free text on pages (EST-03): phone numbers typed into a record's text are shown in full
only to who may reveal owners' phones in the record's project, masked for everyone else.

Prints and exports mask them for all (the `mask_phones` filter); structured phone fields
have their own audited reveal button.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from webapp.core.privacy import mask_phones
from webapp.org.access import can
from webapp.org.rules import Permission, is_allowed


def may_read_phones(project_id: Any) -> bool:
    """Whether the signed-in user may see full phone numbers in a record of `project_id`.
    The user's roles come with their session: no query. A record of no known project
    counts only for a company-wide role."""
    if isinstance(project_id, int):
        return can(Permission.REVEAL_PHONE, project_id)
    if not current_user or not current_user.is_authenticated:
        return False
    company_grants = [grant for grant in current_user.grants if grant[1] is None]
    return is_allowed(company_grants, Permission.REVEAL_PHONE, None)


def owner_text(text: Any, project_id: Any = None) -> Any:
    """`{{ complaint.description|owner_text(complaint.project_id) }}`: the text as typed for
    a user allowed to reveal phones in that project, its phone numbers masked otherwise.
    Anything that is not text (None, a number) is returned as it is."""
    if not isinstance(text, str) or not text or may_read_phones(project_id):
        return text
    return mask_phones(text)
