"""Rules of the owners' QR form (RCP-01) beyond its validation: the owner's chosen
category written at the head of the entry's text, matching the typed unit, and when the
owner's status page may say "done"."""

from __future__ import annotations

import pytest

from webapp.reception import rules
from webapp.reception.rules import Category, FollowUp, OwnerRequest


def _request(category: Category, description: str = "电梯坏了") -> OwnerRequest:
    return OwnerRequest(category=category, description=description, unit_text="3栋1502", phone="13900001111")


@pytest.mark.parametrize("category", list(rules.OWNER_CATEGORIES))
def test_rcp01_qr_form_the_owners_choice_heads_the_text_in_the_sop_words(category):
    content = rules.owner_request_content(_request(category))
    assert content == f"【{rules.CATEGORY_WORDS[category]}】电梯坏了"


def test_rcp01_qr_form_the_sop_words_name_every_category_once():
    assert set(rules.CATEGORY_WORDS) == set(Category)
    assert len(set(rules.CATEGORY_WORDS.values())) == len(Category)
    assert rules.CATEGORY_WORDS[Category.REPAIR] == "报修"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("3栋1502", "3栋1502"),
        ("3栋 1502室", "3栋1502"),
        ("３栋１５０２", "3栋1502"),
        ("3号楼1502", "3栋1502"),
        ("3幢1502号", "3栋1502"),
        ("3座-1502", "3栋1502"),
        ("A栋1502房", "a栋1502"),
        ("3-1502", "31502"),
        ("  ", ""),
        (None, ""),
    ],
)
def test_rcp01_qr_form_typed_units_compare_by_what_identifies_them(typed, key):
    assert rules.unit_text_key(typed) == key


UNITS = [
    (1, "3栋", "1502"),
    (2, "3栋", "1501"),
    (3, "12栋", "1502"),
    (4, "A座", "0101"),
]


@pytest.mark.parametrize(
    ("typed", "unit_id"),
    [
        ("3栋1502", 1),
        ("3号楼 1502室", 1),
        ("12栋1502", 3),
        ("a栋0101", 4),
        # doubtful: left for the desk to match
        ("1502", None),
        ("3-1502", None),
        ("5栋1502", None),
        ("", None),
    ],
)
def test_rcp01_qr_form_the_typed_unit_is_matched_only_when_one_unit_reads_the_same(typed, unit_id):
    assert rules.match_unit(typed, UNITS) == unit_id


def test_rcp01_qr_form_two_units_reading_the_same_match_none():
    # "3栋" + "1502" and "3" + "栋1502" read alike: the owner's unit is not guessed
    assert rules.match_unit("3栋1502", [(1, "3栋", "1502"), (2, "3号楼", "1502")]) is None


@pytest.mark.parametrize(
    ("follow_up", "status", "done"),
    [
        (None, None, False),
        (FollowUp.NOTE, None, False),
        (FollowUp.WORK_ORDER, "dispatched", False),
        (FollowUp.WORK_ORDER, "closed", True),
        (FollowUp.COMPLAINT, "closed", True),
        (FollowUp.COMPLAINT, None, False),
    ],
)
def test_rcp01_qr_form_the_owner_sees_done_once_the_record_is_finished_a_note_once_closed(follow_up, status, done):
    assert rules.follow_up_done_for_owner(follow_up, status) is done
