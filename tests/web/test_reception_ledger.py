"""Reception ledger pages (篇3): logging a contact (RCP-01), the entry and its routing
(RCP-02), the open ledger, closing out and discarding (RCP-08), the monthly ledger and its
sheet, the link to the monthly complaint summary (RCP-06), phones masked (EST-03)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook
from PIL import Image

from tests import factories
from tests.conftest import HX, post
from webapp.core.media import store_from_app
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Project, User
from webapp.reception.models import ReceptionEntry, ReceptionPhoto

# 10:00 in Shanghai on a Wednesday
MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
FULL_PHONE = "13912345678"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _user(world, role: str, where: str = "own") -> User:
    return db.session.scalar(sa.select(User).where(User.username == world.users[(role, where)]))


def _entry(app, world, role: str = "receptionist", **values) -> int:
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        entry = factories.make_reception_entry(db.session, project, _user(world, role), **values)
        db.session.commit()
        return entry.id


def _stored(app, entry_id: int) -> ReceptionEntry:
    with app.app_context():
        entry = db.session.get(ReceptionEntry, entry_id)
        db.session.expunge(entry)
        return entry


def _form(world, **overrides) -> dict:
    data = {
        "submission_key": overrides.pop("submission_key", "k-" + str(factories._next())),
        "channel": "visit",
        "owner_choice": f"{world.own.unit_id}:{world.own.owner_id}",
        "content": "卫生间天花板渗水",
    }
    data.update(overrides)
    return data


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 200)).save(out, "JPEG")
    return out.getvalue()


def _entries(app) -> list[ReceptionEntry]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(ReceptionEntry).order_by(ReceptionEntry.id)))
        for entry in found:
            db.session.expunge(entry)
        return found


# ---------------------------------------------------------------------------- RCP-01 logging


def test_rcp01_any_staff_member_logs_a_contact_and_the_receiver_and_time_are_automatic(app, client, world, login):
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("staff", "own")])
        assert client.get("/reception/new").status_code == 200
        response = post(client, "/reception/new", _form(world))
    assert response.status_code == 303
    (entry,) = _entries(app)
    assert response.location.endswith(f"/reception/{entry.id}")
    with app.app_context():
        staff_id = _user(world, "staff").id
    assert (entry.received_by_id, entry.received_at, entry.status) == (staff_id, MORNING, "new")
    assert (entry.unit_id, entry.owner_id, entry.channel) == (world.own.unit_id, world.own.owner_id, "visit")
    assert entry.contact.startswith(world.own.owner_name)  # the person picked fills the contact
    # the staff member sees what they logged, though not the ledger
    with time_machine.travel(MORNING, tick=False):
        assert client.get(f"/reception/{entry.id}").status_code == 200
        assert client.get("/reception/").status_code == 403


def test_rcp01_another_projects_owner_is_refused_with_every_value_kept(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = post(
        client, "/reception/new",
        _form(world, owner_choice=f"{world.other.unit_id}:{world.other.owner_id}", contact="王先生", channel="phone"),
    )
    assert response.status_code == 422
    html = _html(response)
    assert "卫生间天花板渗水" in html and 'value="王先生"' in html
    assert any('value="phone"' in tag for tag in re.findall(r"<input[^>]*checked[^>]*>", html))
    assert world.other.owner_name not in html
    assert _entries(app) == []


def test_rcp01_without_what_was_said_the_form_comes_back_with_the_values(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = post(client, "/reception/new", _form(world, content="  ", contact="王先生"))
    assert response.status_code == 422
    assert 'id="content-error"' in _html(response) and 'value="王先生"' in _html(response)
    assert _entries(app) == []


def test_rcp01_a_refused_photo_saves_nothing_and_asks_for_the_photos_again(app, client, world, login):
    login(world.users[("receptionist", "own")])
    data = _form(world, photos=[(io.BytesIO(_jpeg()), "a.jpg"), (io.BytesIO(b"not an image"), "b.jpg")])
    response = post(client, "/reception/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="photos-error"' in _html(response)
    assert _entries(app) == []
    media = Path(app.config["MEDIA_DIR"])
    assert not media.exists() or [p for p in media.rglob("*") if p.is_file()] == []


def test_rcp01_photos_are_stored_with_the_entry_shown_on_it_and_the_original_kept_for_the_desk(
    app, client, world, login
):
    login(world.users[("receptionist", "own")])
    data = _form(world, photos=[(io.BytesIO(_jpeg()), "a.jpg")])
    response = post(client, "/reception/new", data, content_type="multipart/form-data")
    assert response.status_code == 303
    (entry,) = _entries(app)
    with app.app_context():
        (photo,) = db.session.scalars(sa.select(ReceptionPhoto).where(ReceptionPhoto.entry_id == entry.id)).all()
        assert store_from_app(app).exists(photo.watermarked_key)
        photo_id = photo.id
    page = _html(client.get(f"/reception/{entry.id}"))
    assert f'href="/reception/photos/{photo_id}/view"' in page
    assert f'src="/reception/photos/{photo_id}/thumb"' in page
    view = client.get(f"/reception/photos/{photo_id}/view")
    assert view.status_code == 200 and view.mimetype == "image/jpeg"
    assert client.get(f"/reception/photos/{photo_id}/original").status_code == 200
    post(client, "/logout")
    login(world.users[("dept_supervisor", "own")])
    assert client.get(f"/reception/photos/{photo_id}/view").status_code == 200
    assert client.get(f"/reception/photos/{photo_id}/original").status_code == 403


def test_rcp01_the_same_submission_logs_one_entry(app, client, world, login):
    login(world.users[("receptionist", "own")])
    data = _form(world, submission_key="same")
    first = post(client, "/reception/new", data)
    again = post(client, "/reception/new", data)
    assert first.status_code == again.status_code == 303
    assert first.location == again.location and len(_entries(app)) == 1


# ---------------------------------------------------------------------------- RCP-02 routing


def test_rcp02_with_a_category_the_desk_goes_straight_on_to_its_follow_up(app, client, world, login):
    login(world.users[("receptionist", "own")])
    response = post(client, "/reception/new", _form(world, category="repair"))
    entry = _entries(app)[-1]
    assert response.location.endswith(f"/reception/{entry.id}/start/work-order")
    # never open without its record: the start page routes it
    assert (entry.status, entry.category) == ("new", None)
    response = post(client, "/reception/new", _form(world, category="complaint"))
    assert response.location.endswith(f"/complaints/new?entry={_entries(app)[-1].id}")
    response = post(client, "/reception/new", _form(world, category="other"))
    assert response.location.endswith(f"/reception/{_entries(app)[-1].id}#routing")


def test_rcp02_only_the_desk_chooses_a_category(app, client, world, login):
    login(world.users[("staff", "own")])
    assert 'name="category"' not in _html(client.get("/reception/new"))
    response = post(client, "/reception/new", _form(world, category="repair"))
    assert response.status_code == 422 and 'class="form-errors"' in _html(response)
    assert _entries(app) == []


def test_rcp02_seven_categories_are_offered_and_each_starts_only_its_own_follow_ups(app, client, world, login):
    entry_id = _entry(app, world)
    login(world.users[("receptionist", "own")])
    html = _html(client.get(f"/reception/{entry_id}"))
    sections = dict(re.findall(r'id="route-(\w+)">(.*?)</li>', html, re.S))
    assert set(sections) == {"after_sales", "repair", "complaint", "service", "praise", "suggestion", "other"}
    assert f"/reception/{entry_id}/start/work-order" in sections["repair"]
    assert "start/return-slip" not in sections["repair"] and "complaints/new" not in sections["repair"]
    assert f"/reception/{entry_id}/start/return-slip" in sections["after_sales"]
    assert f"/complaints/new?entry={entry_id}" in sections["complaint"]
    assert f"/reception/{entry_id}/start/note" in sections["other"]
    assert f"/reception/{entry_id}/start/lost-property" in sections["other"]
    # a department's staff may read nothing of the routing
    post(client, "/logout")
    login(world.users[("dept_supervisor", "own")])
    assert 'id="routing"' not in _html(client.get(f"/reception/{entry_id}"))


def test_rcp02_a_note_is_settled_on_the_entry_page(app, client, world, login):
    entry_id = _entry(app, world)
    login(world.users[("receptionist", "own")])
    version = _stored(app, entry_id).version
    response = post(client, f"/reception/{entry_id}/start/note", {"version": version}, headers=HX)
    assert response.status_code == 200 and 'id="entry-panel"' in _html(response)
    entry = _stored(app, entry_id)
    assert (entry.status, entry.category, entry.follow_up) == ("open", "other", "note")


def test_rcp02_an_owners_qr_form_is_matched_to_the_unit_and_owner(app, client, world, login):
    entry_id = _entry(app, world, channel="qr_form", reported_unit="1栋1502", contact=None)
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/{entry_id}"))
    assert 'id="reported-unit"' in page and 'id="match-form"' in page
    version = _stored(app, entry_id).version
    response = post(client, f"/reception/{entry_id}/match", {
        "version": version, "owner_choice": f"{world.own.unit_id}:{world.own.owner_id}",
    })
    assert response.status_code == 303
    entry = _stored(app, entry_id)
    assert (entry.unit_id, entry.owner_id) == (world.own.unit_id, world.own.owner_id)


# ---------------------------------------------------------------------------- RCP-08 the ledger


def test_rcp08_the_open_ledger_lists_pending_entries_oldest_first_with_their_age(app, client, world, login):
    recent = _entry(app, world, received_at=MORNING - timedelta(hours=1))
    oldest = _entry(app, world, received_at=MORNING - timedelta(days=3, hours=2), status="open",
                    category="other", follow_up="note")
    closed = _entry(app, world, received_at=MORNING - timedelta(days=9), status="closed")
    with time_machine.travel(MORNING, tick=False):
        login(world.users[("receptionist", "own")])
        html = _html(client.get("/reception/"))
    ids = [int(i) for i in re.findall(r'id="entry-(\d+)"', html)]
    assert ids == [oldest, recent] and closed not in ids
    row = html[html.index(f'id="entry-{oldest}"'):html.index(f'id="entry-{recent}"')]
    assert "3 天 2 小时" in row
    assert 'id="log-contact"' in html
    with time_machine.travel(MORNING, tick=False):
        only_new = _html(client.get("/reception/?state=new"))
    assert re.findall(r'id="entry-(\d+)"', only_new) == [str(recent)]


def test_rcp08_an_entry_is_closed_out_only_when_its_follow_up_is_done(app, client, world, login):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        complaint = factories.make_complaint(db.session, project, _user(world, "receptionist"))
        db.session.commit()
        complaint_id = complaint.id
    waiting = _entry(app, world, status="open", category="complaint", follow_up="complaint",
                     follow_up_type="complaints", follow_up_id=complaint_id)
    note = _entry(app, world, status="open", category="other", follow_up="note")
    login(world.users[("receptionist", "own")])
    page = _html(client.get(f"/reception/{waiting}"))
    assert 'id="entry-close"' not in page and f'href="/complaints/{complaint_id}"' in page
    refused = post(client, f"/reception/{waiting}/close", {"version": _stored(app, waiting).version})
    assert refused.status_code == 422 and _stored(app, waiting).status == "open"

    assert 'id="entry-close"' in _html(client.get(f"/reception/{note}"))
    response = post(client, f"/reception/{note}/close", {"version": _stored(app, note).version, "remark": "已告知养犬规定"})
    assert response.status_code == 303
    entry = _stored(app, note)
    assert (entry.status, entry.closing_note) == ("closed", "已告知养犬规定")
    assert f'id="entry-{note}"' not in _html(client.get("/reception/"))


def test_rcp08_only_a_new_entry_is_discarded_with_its_reason(app, client, world, login):
    fresh = _entry(app, world)
    routed = _entry(app, world, status="open", category="other", follow_up="note")
    login(world.users[("receptionist", "own")])
    assert 'id="entry-discard"' in _html(client.get(f"/reception/{fresh}"))
    assert 'id="entry-discard"' not in _html(client.get(f"/reception/{routed}"))
    missing = post(client, f"/reception/{fresh}/discard", {"version": _stored(app, fresh).version})
    assert missing.status_code == 422 and 'id="reason-error"' in _html(missing)
    response = post(client, f"/reception/{fresh}/discard", {"version": _stored(app, fresh).version, "reason": "重复登记"})
    assert response.status_code == 303
    assert (_stored(app, fresh).status, _stored(app, fresh).discard_reason) == ("discarded", "重复登记")
    refused = post(client, f"/reception/{routed}/discard", {"version": _stored(app, routed).version, "reason": "x"})
    assert refused.status_code == 422 and _stored(app, routed).status == "open"


def test_rcp08_the_open_ledger_runs_the_same_number_of_queries_for_3_and_30_entries(app, client, world, login, queries):
    def fill(count):
        with app.app_context():
            project = db.session.get(Project, world.own.id)
            desk = _user(world, "receptionist")
            for n in range(count):
                complaint = factories.make_complaint(db.session, project, desk)
                factories.make_reception_entry(
                    db.session, project, desk, status="open", category="complaint", follow_up="complaint",
                    follow_up_type="complaints", follow_up_id=complaint.id, owner_id=world.own.owner_id,
                    unit_id=world.own.unit_id,
                )
                factories.make_reception_entry(db.session, project, desk if n % 2 else None)
            db.session.commit()

    login(world.users[("receptionist", "own")])
    fill(2)
    with queries() as few:
        assert client.get("/reception/").status_code == 200
    fill(13)
    with queries() as many:
        html = _html(client.get("/reception/"))
    assert html.count('class="card ledger-row"') == 30
    assert len(few) == len(many)


def test_rcp08_the_monthly_ledger_lists_every_status_of_the_month(app, client, world, login):
    inside = [
        _entry(app, world, received_at=datetime(2026, 11, 3, 2, 0, tzinfo=UTC), status=status)
        for status in ("new", "closed", "discarded")
    ]
    before = _entry(app, world, received_at=datetime(2026, 10, 31, 15, 30, tzinfo=UTC))  # 31 Oct 23:30 local
    first_local = _entry(app, world, received_at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC))  # 1 Nov 00:30 local
    login(world.users[("cs_supervisor", "own")])
    html = _html(client.get(f"/reception/register?project={world.own.id}&month=2026-11"))
    ids = {int(i) for i in re.findall(r'id="register-row-(\d+)"', html)}
    assert ids == {*inside, first_local} and before not in ids
    assert "data-print" in html


# ---------------------------------------------------------------------------- RCP-06


def test_rcp06_the_ledger_links_the_desk_to_the_monthly_complaint_summary(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    html = _html(client.get("/reception/"))
    link = re.search(r'href="([^"]+)" id="complaint-summary-link"', html)
    assert link, "the desk finds 投诉情况月汇总表 from the ledger"
    summary = client.get(link.group(1).replace("&amp;", "&"))
    assert summary.status_code == 200 and 'id="complaint-summary"' in _html(summary)


# ---------------------------------------------------------------------------- EST-03


def test_est03_the_ledger_and_the_entry_mask_phone_numbers(app, client, world, login):
    entry_id = _entry(app, world, contact=f"王先生 {FULL_PHONE}", owner_id=world.own.owner_id)
    login(world.users[("receptionist", "own")])
    for page in (_html(client.get("/reception/")), _html(client.get(f"/reception/{entry_id}"))):
        assert "139****5678" in page
        assert FULL_PHONE not in page and world.own.owner_phone not in page


def test_est03_revealing_the_contact_is_deliberate_and_audited(app, client, world, login):
    entry_id = _entry(app, world, contact=f"王先生 {FULL_PHONE}")
    login(world.users[("dept_supervisor", "own")])
    assert 'id="reveal-contact"' not in _html(client.get(f"/reception/{entry_id}"))
    assert post(client, f"/reception/{entry_id}/reveal-contact").status_code == 403
    post(client, "/logout")
    login(world.users[("receptionist", "own")])
    assert 'id="reveal-contact"' in _html(client.get(f"/reception/{entry_id}"))
    response = post(client, f"/reception/{entry_id}/reveal-contact", headers=HX)
    assert response.status_code == 200 and FULL_PHONE in _html(response)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "reception_entries", AuditEvent.entity_id == entry_id,
                AuditEvent.action == "reception_contact_revealed",
            )
        ).all()
        assert [e.actor_id for e in events] == [_user(world, "receptionist").id]


def _sheet_text(response) -> str:
    book = load_workbook(io.BytesIO(response.data))
    return " ".join(str(cell.value) for row in book.active.iter_rows() for cell in row if cell.value is not None)


def test_est03_the_ledger_sheet_masks_phones_unless_a_revealer_asks_and_that_is_audited(app, client, world, login):
    _entry(app, world, contact=f"王先生 {FULL_PHONE}", owner_id=world.own.owner_id,
           received_at=datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    url = f"/reception/register.xlsx?project={world.own.id}&month=2026-11"
    login(world.users[("dept_supervisor", "own")])
    masked = client.get(url)
    assert masked.status_code == 200
    text = _sheet_text(masked)
    assert "139****5678" in text and FULL_PHONE not in text and world.own.owner_phone not in text
    assert client.get(url + "&full_phones=1").status_code == 403
    post(client, "/logout")
    login(world.users[("receptionist", "own")])
    assert 'id="register-xlsx-full"' in _html(client.get(f"/reception/register?project={world.own.id}&month=2026-11"))
    full = client.get(url + "&full_phones=1")
    assert full.status_code == 200 and FULL_PHONE in _sheet_text(full)
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "reception_register_exported_with_phones"
            )
        ) == 1
