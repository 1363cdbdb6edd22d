"""Injection (ASVS 5.0 V1 "Encoding and sanitization", issue 10 item 5): script put into any
free-text field is shown as text, and text that a spreadsheet would run is neutralised.

What an auditor checks:

* stored XSS, every free-text column: after the access matrix's world is arranged, every
  free-text String/Text column of every row of every table is overwritten with a payload
  unique to the column (``xss017"'<script>…</script><img src=x onerror=…>``, shorter where
  the column is short), led by one of = + - @ TAB CR ＝ or nothing. Every GET line of the
  access matrix is then requested, as a page and as an HTMX fragment, by every role it
  allows (anonymously for the public ones): no server error, the payload never appears
  unescaped in HTML, JavaScript or JSON (in text, attributes, ``<script>`` blocks,
  ``hx-vals``, data attributes, the service worker and the manifest), and wherever a
  column's value is shown it is shown escaped;
* the same world's xlsx exports hold no formula and no cell that starts with a character
  a spreadsheet reads as a formula (OWASP "CSV injection");
* through the forms: the owners' public forms (contact, survey, activity RSVP) and the
  desk's main forms (slip, complaint, reception entry, paid service order) posted with a
  payload in every text field and a photo named ``<img src=x onerror=alert(1)>.jpg``:
  a refused form gives the payload back escaped in its field; an accepted one shows it as
  text on the detail page, the list, the print and the xlsx export;
* reflected: the text parameters the views read from the query string (search boxes,
  filters, periods, the page to return to) come back as text on every GET line.

Each test prints its figures (columns seeded, pages, pairs seen escaped, cells checked).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import time_machine

from tests import factories
from tests.conftest import HX
from tests.security.matrix import PUBLIC, ROUTES, arrange, signed_in, username_for
from webapp.core.spreadsheets import FORMULA_STARTS
from webapp.extensions import db
from webapp.org.rules import Role

# -- which columns are free text -----------------------------------------------------------
#
# Every String/Text column of every table is seeded unless it is one of these. The rules:
#
# 1. chosen, never typed: a value from a closed list (a rules.* Enum or a form's choices)
#    the app checks before storing and maps to its own label when it shows it;
# 2. made by the app: record numbers, codes and counters, tokens, storage keys, digests,
#    hashes, secrets and de-duplication keys; the sign-in name;
# 3. checked against a strict format on input (and masked on output): phone numbers and
#    identity documents;
# 4. URLs the app builds (links of notifications and work items) or checks to be https
#    (robot webhooks);
# 5. machine-written structure: the canonical JSON an owner signed.
#
# A name in these sets is excluded in every table; the two tables whose `item` is a code of
# a fixed checklist are listed by table. A unit's `number` is typed (or imported) as the
# building labels it, so it is free text even though the name says otherwise.
CHOSEN = {
    "status", "kind", "category", "channel", "source", "method", "decision", "verification",
    "role", "rule", "result", "satisfaction", "relation", "complaint_class", "suggested_class",
    "invalid_reason", "major_grounds", "follow_up", "follow_up_type", "owner_category",
    "date_basis", "checklist", "department_kind", "assignee_role", "callback_method", "locale",
    "action", "from_state", "to_state", "entity_type",
}
MADE_BY_THE_APP = {"number", "code", "series", "key", "fingerprint", "secret", "username"}
MADE_BY_THE_APP_SUFFIXES = ("_key", "token", "_hash", "sha256")
STRICT_FORMAT = {"phone", "claimant_document", "claimant_document_masked"}
URLS = {"link", "url"}
STRUCTURED = {"signed_content"}
CHECKLIST_CODES = {("activity_checklist_ticks", "item"), ("service_checklist_ticks", "item")}
TYPED_DESPITE_THE_NAME = {("units", "number")}


def is_free_text(table: sa.Table, column: sa.Column) -> bool:
    if not isinstance(column.type, sa.String) or isinstance(column.type, sa.Enum) or column.foreign_keys:
        return False
    name = column.name
    if (table.name, name) in TYPED_DESPITE_THE_NAME:
        return True
    if (table.name, name) in CHECKLIST_CODES or name.endswith(MADE_BY_THE_APP_SUFFIXES):
        return False
    return name not in CHOSEN | MADE_BY_THE_APP | STRICT_FORMAT | URLS | STRUCTURED


def free_text_columns() -> list[tuple[str, str, int | None]]:
    """(table, column, length) of every free-text column, in a stable order."""
    return [
        (table.name, column.name, column.type.length)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if is_free_text(table, column)
    ]


# -- payloads --------------------------------------------------------------------------------

#: what a spreadsheet takes for the start of a formula (OWASP), the full-width "＝" Chinese
#: input methods type, and "" for a value that starts with the marker itself
PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "")
#: the longest that fits the column: a script, an image with an onerror, a bold tag; each
#: opens with both quotes so that an unescaped attribute value would be broken out of
BODIES = (
    "\"'<script>x(1)</script><img src=x onerror=x(1)>",
    "\"'<img src=x onerror=x(1)>",
    "\"'<b id=x>",
)
#: how a payload looks when it reached the browser as markup (never allowed in HTML)
RAW_SIGNATURES = ("<script>x(1)", "<img src=x onerror=", "<b id=x>")
MARKER = re.compile(r"xss(\d{3})")
#: what may follow the marker where the value is shown: an HTML entity, a JSON or JS
#: escape, or a URL-encoded quote (the value in a query string)
ESCAPED_NEXT = re.compile(r"&#34;|&#39;|&quot;|&lt;|&#x27;|\\u0022|\\u0027|\\\"|\\'|%22|%27")
UNESCAPED_NEXT = ("\"", "'", "<")


def payload(index: int, length: int | None) -> str:
    prefix = PREFIXES[index % len(PREFIXES)]
    for body in BODIES:
        text = f"{prefix}xss{index:03d}{body}"
        if length is None or len(text) <= length:
            return text
    raise AssertionError(f"column {index} is too short for a payload ({length})")


def _unique(table: sa.Table, name: str) -> bool:
    constraints = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    indexes = [i for i in table.indexes if i.unique]
    return table.c[name].unique or any(name in c.columns for c in (*constraints, *indexes))


def seed(app) -> dict[str, str]:
    """Overwrite every free-text column of every row; returns marker → "table.column".
    A column that must be unique gets the row's id after the payload."""
    columns = {}
    with app.app_context():
        for index, (name, column, length) in enumerate(free_text_columns()):
            table = db.metadata.tables[name]
            if _unique(table, column):
                text = payload(index, None if length is None else length - 8)
                value = sa.literal(text) + " #" + sa.cast(table.c.id, sa.String)
            else:
                value = payload(index, length)
            db.session.execute(table.update().values({column: value}))
            columns[f"xss{index:03d}"] = f"{name}.{column}"
        db.session.commit()
    return columns


def _context(html: str, position: int) -> str:
    """Whether a place in a page is inside a <script> block, inside a tag (an attribute
    value: hx-vals, data-*, value=…) or in the text."""
    before = html[:position]
    if before.rfind("<script") > before.rfind("</script"):
        return "script"
    return "attribute" if before.rfind("<") > before.rfind(">") else "text"


class Findings:
    """What the crawl saw: failures, and the (column, page) pairs shown escaped."""

    def __init__(self, columns: dict[str, str]):
        self.columns = columns
        self.failures: list[str] = []
        self.escaped: set[tuple[str, str]] = set()
        self.pages: set[str] = set()
        self.requests = 0
        self.cells = 0
        #: cells that held formula-like text, stored with the leading apostrophe
        self.neutralised = 0
        self.exports: set[str] = set()
        #: where in a page the escaped values were seen: text, attribute, script
        self.contexts: Counter = Counter()

    def get(self, client, url: str, headers: dict, label: str, page: str) -> None:
        try:
            response = client.get(url, headers=headers)
        except Exception as exc:  # the test app propagates a view's error: a 500 to a user
            self.failures.append(f"{label}: {type(exc).__name__}: {exc}")
            return
        self.check(label, page, response)

    def check(self, label: str, page: str, response) -> None:
        self.requests += 1
        self.pages.add(page)
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{label}: {status}")
            return
        for name, value in response.headers.items():
            for match in MARKER.finditer(value):
                if value[match.end():match.end() + 1] in UNESCAPED_NEXT:
                    self.failures.append(f"{label}: header {name} carries {match.group(0)} raw: {value!r}")
        mimetype = response.mimetype
        if mimetype.endswith("spreadsheetml.sheet"):
            self.check_workbook(label, page, response.get_data())
            return
        if not (mimetype.startswith("text/") or "javascript" in mimetype or "json" in mimetype
                or mimetype.endswith("+xml")):
            return
        body = response.get_data(as_text=True)
        if mimetype in ("text/html", "image/svg+xml"):
            for signature in RAW_SIGNATURES:
                if signature in body:
                    where = body.find(signature)
                    self.failures.append(f"{label}: raw {signature!r} near {body[max(0, where - 80):where + 40]!r}")
        for match in MARKER.finditer(body):
            column = self.columns.get(match.group(0))
            if column is None:
                continue
            after = body[match.end():match.end() + 7]
            if after[:1] in UNESCAPED_NEXT and mimetype != "application/json":
                self.failures.append(f"{label}: {column} unescaped: {body[match.start() - 60:match.end() + 40]!r}")
            elif ESCAPED_NEXT.match(after):
                self.escaped.add((column, page))
                self.contexts[_context(body, match.start()) if mimetype == "text/html" else mimetype] += 1

    def check_workbook(self, label: str, page: str, data: bytes) -> None:
        from openpyxl import load_workbook

        self.exports.add(page)
        book = load_workbook(io.BytesIO(data))
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    self.cells += 1
                    where = f"{label}: {sheet.title}!{cell.coordinate}"
                    if cell.data_type == "f":
                        self.failures.append(f"{where} is a formula: {cell.value!r}")
                    elif isinstance(cell.value, str):
                        if cell.value.startswith(FORMULA_STARTS):
                            self.failures.append(f"{where} starts like a formula: {cell.value!r}")
                        elif cell.value[:1] == "'" and cell.value[1:].startswith(FORMULA_STARTS):
                            self.neutralised += 1
                        for match in MARKER.finditer(cell.value):
                            if match.group(0) in self.columns:
                                self.escaped.add((self.columns[match.group(0)], page))


def _get_lines():
    return sorted(key for key in ROUTES if key[1] == "GET")


def more_records(app, world) -> None:
    """Rows the matrix's world has none of but whose text the detail pages show: a trail
    note on each of the own project's records, a slip's rectification round and call-back,
    a complaint's pause, extension request and call-back."""
    from webapp.complaints.models import (
        Complaint,
        ComplaintCallback,
        ComplaintPause,
        ExtensionRequest,
    )
    from webapp.core import audit
    from webapp.core.clock import now
    from webapp.core.scoping import unrestricted
    from webapp.org.models import User
    from webapp.paid_services.models import ServiceOrder
    from webapp.reception.models import ReceptionEntry
    from webapp.slips.models import RectificationRound, Slip, SlipCallback

    ids, moment = world.own, now()
    with app.app_context(), unrestricted():
        session = db.session
        actor = session.scalar(sa.select(User).where(User.username == world.users[("pm", "own")])).id
        slip = session.get(Slip, ids.slip_id)
        complaint = session.get(Complaint, ids.complaint_id)
        for record in (slip, complaint, session.get(ReceptionEntry, ids.entry_id),
                       session.get(ServiceOrder, ids.service_order_id)):
            audit.record(session, record, "updated", actor_id=actor, note="备注")
        session.add_all([
            RectificationRound(project_id=ids.id, slip_id=slip.id, number=1, measures_who="维修班",
                               measures_when=moment, measures_how="更换", recorded_by_id=actor),
            SlipCallback(project_id=ids.id, slip_id=slip.id, method="phone", owner_response="满意",
                         satisfied=True, called_by_id=actor),
            ComplaintPause(project_id=ids.id, complaint_id=complaint.id, started_at=moment, reason="等待",
                           started_by_id=actor),
            ExtensionRequest(project_id=ids.id, complaint_id=complaint.id, current_due_at=moment,
                             requested_due_at=moment + timedelta(days=3), reason="配件", requested_by_id=actor),
            ComplaintCallback(project_id=ids.id, complaint_id=complaint.id, method="phone",
                              satisfaction="satisfied", comment="满意", called_by_id=actor),
        ])
        session.commit()


@pytest.fixture
def seeded(app, world):
    arrange(app, world)
    more_records(app, world)
    return seed(app)


def test_sec_every_free_text_column_is_shown_as_text_on_every_page(app, world, seeded):
    findings = Findings(seeded)
    clients = {}
    for endpoint, method in _get_lines():
        route = ROUTES[(endpoint, method)]
        url = route.url_for(world.own)
        if route.allowed == PUBLIC:
            visitors = {"anonymous": None}
        else:
            visitors = {role.value: username_for(world, role) for role in sorted(route.allowed)}
        for role, username in visitors.items():
            if role not in clients:
                clients[role] = app.test_client() if username is None else signed_in(app, username)
            for variant, headers in (("", {}), (" (HX)", HX)):
                findings.get(clients[role], url, headers, f"{endpoint} as {role}{variant}", endpoint)

    by_column = Counter(column for column, _ in findings.escaped)
    unseen = sorted(set(seeded.values()) - set(by_column))
    print(f"\ncolumns seeded: {len(seeded)}; GET lines crawled: {len(findings.pages)}; "
          f"requests: {findings.requests}; (column, page) pairs shown escaped: {len(findings.escaped)}; "
          f"xlsx exports: {len(findings.exports)}, cells checked: {findings.cells}, formula-like cells neutralised: {findings.neutralised}, "
          f"(column, export) pairs: {sum(1 for _, page in findings.escaped if page in findings.exports)}; "
          f"failures: {len(findings.failures)}; escaped sightings by context: {dict(findings.contexts)}")
    print("columns never shown on a GET page:", unseen)
    with app.app_context():
        rowless = [column for column in unseen if not db.session.scalar(
            sa.select(sa.func.count()).select_from(db.metadata.tables[column.split(".")[0]])
        )]
    print("of which the world has no rows:", rowless)
    assert findings.failures == []
    # The crawl reaches the records: most free-text columns are shown somewhere.
    assert len(by_column) >= len(seeded) * 0.6, unseen


# -- through the forms -------------------------------------------------------------------------

#: the hostile photo name: never shown as markup, never part of a stored key
HOSTILE_FILE_NAME = "<img src=x onerror=alert(1)>.jpg"


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class FormCase:
    """One form: where it is, who fills it in, its valid values, the text fields a payload
    goes into (name → longest payload body that fits: 0 script, 1 image, 2 bold tag), what
    makes it refused, which fields are stored and shown, and the pages that show them."""

    name: str
    url: str
    role: str | None
    valid: Callable[[SimpleNamespace], dict]
    fields: dict[str, int]
    refuse: dict
    shown: tuple[str, ...] = ()
    photo: str | None = None
    model: type | None = None
    pages: tuple[str, ...] = ()
    #: the public forms refuse a message sent seconds after the page was shown
    typing_time: bool = False
    #: fields a refused form empties on purpose (a household's phone digits are a secret)
    emptied: tuple[str, ...] = ()


#: the forms are filled in on a Wednesday morning, 10:00 in Shanghai
FORM_TIME = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _choice(ids) -> str:
    return f"{ids.unit_id}:{ids.owner_id}"


def _cases():
    from webapp.complaints.models import Complaint
    from webapp.paid_services.models import ServiceOrder
    from webapp.reception.models import ReceptionEntry
    from webapp.slips.models import Slip

    ledger = ("/reception/{new}", "/reception/", "/reception/register?project={id}",
              "/reception/register.xlsx?project={id}")
    return [
        FormCase(
            "owner contact", "/contact/{code}", None,
            lambda ids: {"category": "repair", "unit_text": "own1栋 1502室", "phone": "139 0000 2222",
                         "website": ""},
            {"description": 0, "unit_text": 1, "phone": 2}, {"category": ""},
            shown=("description",), photo="photos", model=ReceptionEntry, pages=ledger, typing_time=True,
        ),
        FormCase(
            "survey answer", "/survey/{survey_token}", None,
            lambda ids: {"choices": ["文艺晚会"], "unit_text": "own1栋1502", "phone_digits": "1111",
                         "website": ""},
            {"comment": 0, "unit_text": 1, "phone_digits": 2}, {"choices": []},
            shown=("comment",), pages=("/activities/surveys/{survey_id}",),
        ),
        FormCase(
            "activity reply", "/activity/{activity_token}", None,
            lambda ids: {"head_count": "2"},
            {"unit_text": 1, "phone_digits": 2, "head_count": 2}, {}, emptied=("phone_digits",),
        ),
        FormCase(
            "slip", "/slips/new", "staff",
            lambda ids: {"submission_key": f"k-{factories._next()}", "category": "facility",
                         "source": "seen_on_site", "owner_choice": _choice(ids)},
            {"description": 0, "place_text": 1, "unit_query": 1, "owner_contact": 1}, {"category": ""},
            shown=("description", "place_text"), photo="photos", model=Slip,
            pages=("/slips/{new}", "/slips/", "/slips/desk", "/slips/summary.xlsx?project={id}"),
        ),
        FormCase(
            "complaint", "/complaints/new", "receptionist",
            lambda ids: {"submission_key": f"k-{factories._next()}", "channel": "phone",
                         "event_time": "2026-11-25T09:00", "service_fault": "y",
                         "complaint_class": "important", "owner_choice": _choice(ids)},
            {"event_place": 1, "complained_person": 1, "description": 0, "owner_request": 0,
             "owner_contact": 1, "unit_query": 1}, {"event_time": "yesterday"},
            shown=("event_place", "complained_person", "description", "owner_request"), model=Complaint,
            pages=("/complaints/{new}", "/complaints/", "/complaints/register?project={id}",
                   "/complaints/register.xlsx?project={id}"),
        ),
        FormCase(
            "reception entry", "/reception/new", "receptionist",
            lambda ids: {"submission_key": f"k-{factories._next()}", "channel": "visit",
                         "owner_choice": _choice(ids)},
            {"content": 0, "contact": 1, "unit_query": 1}, {"channel": ""},
            shown=("content",), photo="photos", model=ReceptionEntry, pages=ledger,
        ),
        FormCase(
            "paid service order", "/services/orders/new", "receptionist",
            lambda ids: {"submission_key": f"k-{factories._next()}", "owner_choice": _choice(ids),
                         "appointment_at": "2026-11-26T14:00", "key_authorised": "y",
                         "item": [str(ids.service_item_id)], f"quantity-{ids.service_item_id}": "1"},
            {"requirements": 0, "cautions": 0, "key_note": 1, "contact": 1, "unit_query": 1},
            {"item": []},
            shown=("requirements", "cautions", "key_note"), model=ServiceOrder,
            pages=("/services/orders/{new}", "/services/", "/services/orders/{new}/print",
                   "/services/summary.xlsx?project={id}"),
        ),
    ]


FORM_CASES = _cases()


def _form_payloads(case: FormCase, offset: int) -> tuple[dict, dict]:
    """field → payload, and marker → "form.field" (markers from 500 up: apart from columns)."""
    values, names = {}, {}
    for position, (field_name, body) in enumerate(case.fields.items()):
        index = 500 + offset * 10 + position
        prefix = PREFIXES[index % len(PREFIXES)]
        values[field_name] = f"{prefix}xss{index:03d}{BODIES[body]}"
        names[f"xss{index:03d}"] = f"{case.name}.{field_name}"
    return values, names


def _send(client, case: FormCase, url: str, data: dict, clock):
    from tests.conftest import csrf_token

    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, url), **data}
    stamp = re.search(r'name="stamp" type="hidden" value="([^"]+)"', page)
    if stamp:
        data["stamp"] = stamp.group(1)
    if case.typing_time:
        clock.shift(timedelta(seconds=40))
    if case.photo:
        data[case.photo] = (io.BytesIO(_jpeg()), HOSTILE_FILE_NAME, "image/jpeg")
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=data)


def _newest(app, model) -> int:
    from webapp.core import scoping

    with app.app_context(), scoping.unrestricted():
        return db.session.scalar(sa.select(sa.func.max(model.id)))


@pytest.mark.parametrize("case", FORM_CASES, ids=[case.name for case in FORM_CASES])
def test_sec_a_form_shows_script_typed_into_any_field_as_text(app, world, case):
    with time_machine.travel(FORM_TIME, tick=False) as clock:
        _fill_in(app, world, case, clock)


def _fill_in(app, world, case: FormCase, clock) -> None:
    arrange(app, world)
    ids = world.own
    payloads, names = _form_payloads(case, FORM_CASES.index(case))
    findings = Findings(names)
    url = case.url.format(**vars(ids))
    client = app.test_client() if case.role is None else signed_in(app, world.users[(case.role, "own")])
    # refused: every text field holds a payload and one value is wrong (or the unit unknown)
    refused = _send(client, case, url, {**case.valid(ids), **payloads, **case.refuse}, clock)
    assert refused.status_code == 422, refused.status_code
    findings.check(f"{case.name} refused", "refused form", refused)
    given_back = {column for column, _ in findings.escaped}
    expected = set(names.values()) - {f"{case.name}.{name}" for name in case.emptied}
    assert given_back == expected, f"not given back escaped: {expected - given_back}"

    if not case.shown:
        assert findings.failures == []
        return
    # accepted: the payloads in the fields that are stored, the rest valid
    stored = {name: payloads[name] for name in case.shown}
    accepted = _send(client, case, url, {**case.valid(ids), **stored}, clock)
    assert accepted.status_code == 303, accepted.get_data(as_text=True)[:2000]
    viewer = signed_in(app, world.users[("pm", "own")])
    new = _newest(app, case.model) if case.model else None
    before = set(findings.escaped)
    for page in case.pages:
        findings.get(viewer, page.format(new=new, **vars(ids)), {}, f"{case.name}: {page}", page)
    assert findings.failures == []
    shown = {column for column, _ in set(findings.escaped) - before}
    expected = {f"{case.name}.{name}" for name in case.shown}
    assert shown == expected, f"not shown as text: {expected - shown}"
    print(f"\n{case.name}: fields posted {len(case.fields)}, (field, page) pairs escaped after saving "
          f"{len(set(findings.escaped) - before)}, xlsx cells checked {findings.cells}")


# -- reflected: query strings -----------------------------------------------------------------

#: the text parameters the views read from the query string (filters, search boxes, periods,
#: the page to return to); ids are parsed as numbers and refuse anything else
QUERY_PARAMETERS = ("q", "status", "state", "period", "month", "year", "week", "day", "before", "show", "by",
                    "scope", "category", "class", "of", "unit_query", "owner_choice", "check", "next")


def test_sec_text_in_the_query_string_is_shown_as_text(app, world):
    arrange(app, world)
    names = {f"xss{700 + i}": f"?{name}=" for i, name in enumerate(QUERY_PARAMETERS)}
    findings = Findings(names)
    clients = {}
    for endpoint, method in _get_lines():
        route = ROUTES[(endpoint, method)]
        url = route.url_for(world.own)
        present = set(re.findall(r"[?&]([a-z_]+)=", url))
        extra = "&".join(
            f"{name}={quote(PREFIXES[i % len(PREFIXES)] + f'xss{700 + i}' + BODIES[1])}"
            for i, name in enumerate(QUERY_PARAMETERS) if name not in present
        )
        role = "anonymous" if route.allowed == PUBLIC else sorted(route.allowed)[0].value
        if role not in clients:
            clients[role] = (app.test_client() if role == "anonymous"
                             else signed_in(app, username_for(world, Role(role))))
        separator = "&" if "?" in url else "?"
        for variant, headers in (("", {}), (" (HX)", HX)):
            findings.get(clients[role], f"{url}{separator}{extra}", headers, f"{endpoint} as {role}{variant}", endpoint)
    print(f"\nquery strings: GET lines {len(findings.pages)}, requests {findings.requests}, "
          f"(parameter, page) pairs reflected escaped {len(findings.escaped)}, failures {len(findings.failures)}")
    assert findings.failures == []
    assert findings.escaped, "no search box or filter shows what was asked for"
