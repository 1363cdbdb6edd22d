"""ACT-01 the owners' activity-preference survey: the publicist creates the year's survey
(one per project and year), opens and closes it; households answer on the public page
(unit + last four phone digits, one answer per unit, nothing personal shown); the results
page's chart counts; the poster's QR code leads to the public page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import HX, csrf_token, post
from tests.web.test_estate_qr import decode_svg
from webapp.activities import survey as survey_ops
from webapp.activities.models import ActivitySurvey, ActivitySurveyAnswer
from webapp.core.clock import local_date
from webapp.core.clock import now as clock_now
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org.models import Project, User

OPTIONS = ["文艺晚会", "亲子运动会", "书画展", "电影之夜"]


@pytest.fixture
def english(client):
    client.set_cookie("locale", "en")
    return client


def _survey(app, world, key: str = "own", **values) -> tuple[int, str]:
    with app.app_context():
        project = db.session.get(Project, world.projects[key].id)
        publicist = db.session.scalar(sa.select(User).where(User.username == world.users[("publicist", key)]))
        found = factories.make_activity_survey(db.session, project, publicist, options=OPTIONS, **values)
        db.session.commit()
        return found.id, found.public_token


def _get(app, survey_id: int) -> ActivitySurvey:
    with app.app_context():
        found = db.session.get(ActivitySurvey, survey_id)
        db.session.expunge(found)
        return found


def _answers(app) -> list[ActivitySurveyAnswer]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ActivitySurveyAnswer).order_by(ActivitySurveyAnswer.id)))
        db.session.expunge_all()
        return rows


def _add_households(app, world, count: int, start: int = 0) -> list[int]:
    """More units of the own project, each with an owner whose phone ends in its number."""
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        building = factories.make_building(db.session, project, name=f"{start}号楼")
        ids = []
        for i in range(start, start + count):
            unit = factories.make_unit(db.session, building, number=f"{100 + i}")
            factories.make_owner(db.session, unit, name=f"业主{i}", phone=f"1380000{1000 + i:04d}")
            ids.append(unit.id)
        db.session.commit()
        return ids


def _answer_directly(app, survey_id: int, unit_ids: list[int], choices: list[str], comment: str | None = None):
    with app.app_context():
        found = db.session.get(ActivitySurvey, survey_id)
        for unit_id in unit_ids:
            survey_ops.answer(db.session, found, unit_id, choices, comment, now=clock_now())
        db.session.commit()


def _form_data(client, token: str, **values) -> dict:
    data = {
        "csrf_token": csrf_token(client, f"/survey/{token}"),
        "choices": ["文艺晚会", "书画展"],
        "comment": "希望多办亲子活动",
        "unit_text": "own1栋1502",
        "phone_digits": "1111",
        "website": "",
    }
    data.update(values)
    return data


# ---------------------------------------------------------------------------- creating, opening, closing


def test_act01_publicist_creates_the_years_survey_as_a_draft_audited(app, client, world, login):
    login(world.users[("publicist", "own")])
    form = client.get(f"/activities/surveys/new?project={world.own.id}")
    assert form.status_code == 200
    year = local_date(clock_now()).year + 1
    assert f'value="{year}"' in form.get_data(as_text=True)
    response = post(client, f"/activities/surveys/new?project={world.own.id}", {
        "year": str(year), "title": "明年活动意向", "intro": "请勾选", "options": "文艺晚会\n\n 亲子运动会 \n书画展",
        "submission_key": "k1",
    })
    assert response.status_code == 303
    with app.app_context():
        found = db.session.scalar(sa.select(ActivitySurvey))
        assert (found.project_id, found.year, found.status) == (world.own.id, year, "draft")
        assert found.options == ["文艺晚会", "亲子运动会", "书画展"]
        assert len(found.public_token) >= 16
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "survey_created"))
        assert event.entity_id == found.id
    assert response.location.endswith(f"/activities/surveys/{found.id}")


def test_act01_a_double_submit_creates_one_survey(app, client, world, login):
    login(world.users[("publicist", "own")])
    data = {"year": str(local_date(clock_now()).year + 1), "title": "意向", "options": "晚会\n运动会",
            "submission_key": "same-key"}
    first = post(client, f"/activities/surveys/new?project={world.own.id}", data)
    second = post(client, f"/activities/surveys/new?project={world.own.id}", data)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ActivitySurvey.id))) == 1


def test_act01_too_few_options_come_back_next_to_the_options_with_every_value_kept(app, english, world, login):
    login(world.users[("publicist", "own")])
    response = post(english, f"/activities/surveys/new?project={world.own.id}", {
        "year": str(local_date(clock_now()).year + 1), "title": "我的标题", "intro": "我的说明", "options": "只有一个",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    options_field = html[html.index('id="options-field"'):]
    assert "Offer at least two options." in options_field[:options_field.index("</div>")]
    assert 'value="我的标题"' in html and "我的说明" in html and "只有一个" in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ActivitySurvey.id))) == 0


def test_act01_one_survey_per_project_and_year(app, english, world, login):
    _survey(app, world)
    login(world.users[("publicist", "own")])
    response = post(english, f"/activities/surveys/new?project={world.own.id}", {
        "year": str(local_date(clock_now()).year + 1), "title": "再来一个", "options": "晚会\n运动会",
    })
    assert response.status_code == 422
    assert "already has a survey for" in response.get_data(as_text=True)


def test_act01_a_receptionist_may_not_run_a_survey(app, client, world, login):
    survey_id, _ = _survey(app, world, status="draft")
    login(world.users[("receptionist", "own")])
    assert client.get(f"/activities/surveys/new?project={world.own.id}").status_code == 403
    assert post(client, f"/activities/surveys/{survey_id}/open", {"version": "1"}).status_code == 403
    assert client.get(f"/activities/surveys/{survey_id}").status_code == 200  # reading is for everyone


def test_act01_publicist_opens_then_closes_the_survey(app, client, world, login):
    survey_id, _ = _survey(app, world, status="draft")
    login(world.users[("publicist", "own")])
    page = client.get(f"/activities/surveys/{survey_id}").get_data(as_text=True)
    assert 'id="survey-open-form"' in page and 'id="survey-close-form"' not in page
    opened = post(client, f"/activities/surveys/{survey_id}/open", {"version": str(_get(app, survey_id).version)})
    assert opened.status_code == 303
    found = _get(app, survey_id)
    assert found.status == "open" and found.opened_at is not None
    closed = post(client, f"/activities/surveys/{survey_id}/close", {"version": str(found.version)}, headers=HX)
    assert closed.status_code == 200
    assert 'id="survey-panel"' in closed.get_data(as_text=True) and "<html" not in closed.get_data(as_text=True)
    assert _get(app, survey_id).status == "closed"
    # a closed survey cannot be opened again
    again = post(client, f"/activities/surveys/{survey_id}/open", {"version": str(_get(app, survey_id).version)})
    assert again.status_code == 422
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_id == survey_id,
                                                                             AuditEvent.entity_type == "activity_surveys")))
    assert actions == ["survey_opened", "survey_closed"]


def test_act01_another_projects_survey_is_not_found(app, client, world, login):
    survey_id, _ = _survey(app, world, key="other")
    login(world.users[("publicist", "own")])
    assert client.get(f"/activities/surveys/{survey_id}").status_code == 404


def test_act01_surveys_list_per_project(app, client, world, login):
    _survey(app, world)
    _survey(app, world, key="other", title="别的项目的调查")
    login(world.users[("pm", "own")])
    html = client.get(f"/activities/surveys?project={world.own.id}").get_data(as_text=True)
    assert "明年社区文化活动意向调查" in html and "别的项目的调查" not in html


# ---------------------------------------------------------------------------- the owners' page


def test_act01_owners_page_shows_the_options_as_checkboxes_and_nothing_personal(app, client, world):
    _, token = _survey(app, world)
    response = client.get(f"/survey/{token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for option in OPTIONS:
        assert f'type="checkbox" name="choices" value="{option}"' in html
    assert world.own.owner_name not in html and world.own.owner_phone not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_act01_a_household_answers_once_and_is_thanked(app, client, world):
    _, token = _survey(app, world)
    response = client.post(f"/survey/{token}", data=_form_data(client, token))
    assert response.status_code == 303
    assert response.location.endswith(f"/survey/{token}/thanks")
    [answer] = _answers(app)
    assert (answer.unit_id, answer.choices, answer.comment) == (world.own.unit_id, ["文艺晚会", "书画展"], "希望多办亲子活动")
    thanks = client.get(response.location).get_data(as_text=True)
    assert "1502" not in thanks and world.own.owner_name not in thanks


def test_act01_a_second_answer_from_the_unit_is_refused_with_a_friendly_message(app, english, world):
    _, token = _survey(app, world)
    assert english.post(f"/survey/{token}", data=_form_data(english, token)).status_code == 303
    again = english.post(f"/survey/{token}", data=_form_data(english, token, choices=["电影之夜"]))
    assert again.status_code == 422
    assert "Your household has already answered this survey." in again.get_data(as_text=True)
    assert len(_answers(app)) == 1


def test_act01_two_answers_of_a_unit_at_the_same_moment_store_one(app, world, monkeypatch):
    """The unique constraint is the last word when both requests passed the check."""
    survey_id, _ = _survey(app, world)
    _answer_directly(app, survey_id, [world.own.unit_id], ["书画展"])
    real = survey_ops.rules.check_survey_answer
    monkeypatch.setattr(survey_ops.rules, "check_survey_answer",
                        lambda *args, **kwargs: real(*args, **{**kwargs, "unit_already_answered": False}))
    with app.app_context():
        found = db.session.get(ActivitySurvey, survey_id)
        with pytest.raises(survey_ops.RuleViolation) as err:
            survey_ops.answer(db.session, found, world.own.unit_id, ["电影之夜"], None, now=clock_now())
        assert err.value.message == "Your household has already answered this survey."
        db.session.rollback()
    assert [a.choices for a in _answers(app)] == [["书画展"]]


def test_act01_wrong_digits_come_back_next_to_the_unit_with_every_value_kept(app, english, world):
    _, token = _survey(app, world)
    response = english.post(f"/survey/{token}", data=_form_data(english, token, phone_digits="9999"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    unit_field = html[html.index('id="unit_text-field"'):]
    assert "do not match our records" in unit_field[:unit_field.index("</div>")]
    assert 'value="own1栋1502"' in html and "希望多办亲子活动" in html
    assert re.search(r'value="文艺晚会"\s+checked', html) and not re.search(r'value="电影之夜"\s+checked', html)
    assert _answers(app) == []


def test_act01_no_option_chosen_comes_back_next_to_the_options(app, english, world):
    _, token = _survey(app, world)
    response = english.post(f"/survey/{token}", data=_form_data(english, token, choices=[]))
    assert response.status_code == 422
    assert 'id="choices-error">Choose at least one option.' in response.get_data(as_text=True)
    assert _answers(app) == []


def test_act01_a_choice_not_offered_is_refused(app, english, world):
    _, token = _survey(app, world)
    response = english.post(f"/survey/{token}", data=_form_data(english, token, choices=["赌博"]))
    assert response.status_code == 422
    assert _answers(app) == []


@pytest.mark.parametrize(("status", "said"), [("closed", "This survey is closed."),
                                              ("draft", "This survey has not started yet.")])
def test_act01_a_closed_or_draft_survey_says_so_and_takes_no_answer(app, english, world, status, said):
    _, token = _survey(app, world, status=status)
    page = english.get(f"/survey/{token}")
    assert page.status_code == 200 and said in page.get_data(as_text=True)
    assert 'name="choices"' not in page.get_data(as_text=True)
    data = {"csrf_token": csrf_token(english, "/login"), "choices": ["书画展"], "unit_text": "own1栋1502",
            "phone_digits": "1111"}
    response = english.post(f"/survey/{token}", data=data)
    assert response.status_code == 422 and said in response.get_data(as_text=True)
    assert _answers(app) == []


@pytest.mark.parametrize("token", ["nosuchtoken-nosuchtoken", "x", "a%20b%20c%20d%20e%20f%20g%20h"])
def test_act01_an_unknown_address_is_a_friendly_not_found(client, world, token):
    response = client.get(f"/survey/{token}")
    assert response.status_code == 404
    assert "public-message" in response.get_data(as_text=True)


def test_act01_without_its_csrf_token_the_form_comes_back_with_the_values_kept(app, english, world):
    _, token = _survey(app, world)
    data = _form_data(english, token)
    data.pop("csrf_token")
    response = english.post(f"/survey/{token}", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This form has expired" in html and 'value="own1栋1502"' in html and 'name="csrf_token"' in html
    assert _answers(app) == []


def test_act01_a_bot_filling_the_hidden_field_is_thanked_and_forgotten(app, client, world):
    _, token = _survey(app, world)
    response = client.post(f"/survey/{token}", data=_form_data(client, token, website="http://spam.example"))
    assert response.status_code == 303
    assert _answers(app) == []


def test_act01_answer_attempts_are_rate_limited(app, client, world):
    _, token = _survey(app, world)
    app.config["OWNER_FORM_ATTEMPT_LIMIT"] = "3 per hour"
    for _ in range(3):
        assert client.post(f"/survey/{token}", data=_form_data(client, token, phone_digits="0000")).status_code == 422
    limited = client.post(f"/survey/{token}", data=_form_data(client, token))
    assert limited.status_code == 429
    assert "/login" not in limited.get_data(as_text=True)
    assert _answers(app) == []


# ---------------------------------------------------------------------------- results


def test_act01_results_chart_counts_households_per_option_out_of_the_projects_units(app, english, world, login):
    survey_id, _ = _survey(app, world)
    units = _add_households(app, world, 3)  # the project now has 4 units
    _answer_directly(app, survey_id, units[:2], ["文艺晚会", "书画展"], "多办一些")
    _answer_directly(app, survey_id, units[2:], ["文艺晚会"])
    login(world.users[("vp", None)])
    html = english.get(f"/activities/surveys/{survey_id}").get_data(as_text=True)
    assert "3 of 4 households answered" in html
    chart = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="survey-bar-chart"'):]
    chart = chart[:chart.index("</svg>")]
    assert ">3 · 100%<" in chart and ">2 · 67%<" in chart and ">0 · 0%<" in chart
    assert chart.count("<rect ") == len(OPTIONS)
    comments = html[html.index('id="survey-comments"'):]
    assert "多办一些" in comments
    # comments name no unit
    assert "100" not in comments[:comments.index("</ul>")] and "号楼" not in html


def test_act01_results_for_is_what_the_plan_page_shows(app, world):
    survey_id, _ = _survey(app, world)
    _answer_directly(app, survey_id, [world.own.unit_id], ["电影之夜"], "好")
    with app.app_context():
        results = survey_ops.results_for(db.session, db.session.get(ActivitySurvey, survey_id))
    assert [(o.option, o.count) for o in results.options] == [(o, 1 if o == "电影之夜" else 0) for o in OPTIONS]
    assert (results.households_answered, results.units_total, results.comments) == (1, 1, ("好",))


def test_act01_results_page_runs_the_same_queries_for_2_or_10_answers(app, client, world, login, queries):
    survey_id, _ = _survey(app, world)
    units = _add_households(app, world, 10)
    login(world.users[("publicist", "own")])

    def measure() -> int:
        client.get(f"/activities/surveys/{survey_id}")  # warm up
        with queries() as statements:
            assert client.get(f"/activities/surveys/{survey_id}").status_code == 200
        return len(statements)

    _answer_directly(app, survey_id, units[:2], ["文艺晚会"], "评论")
    at_two = measure()
    _answer_directly(app, survey_id, units[2:], ["书画展"], "评论")
    at_ten = measure()
    assert at_two == at_ten


# ---------------------------------------------------------------------------- the poster


def test_act01_poster_qr_decodes_to_the_public_survey_address(app, client, world, login):
    survey_id, token = _survey(app, world)
    login(world.users[("publicist", "own")])
    response = client.get(f"/activities/surveys/{survey_id}/poster")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svg = html[html.index('<svg class="poster-qr"'):]
    assert decode_svg(svg[:svg.index("</svg>") + 6]) == f"http://localhost/survey/{token}"
    assert "明年社区文化活动意向调查" in html and 'lang="zh-CN"' in html


def test_act01_poster_uses_the_public_address_when_configured(app, client, world, login):
    app.config["PUBLIC_BASE_URL"] = "https://wy.example.cn"
    survey_id, token = _survey(app, world)
    login(world.users[("publicist", "own")])
    html = client.get(f"/activities/surveys/{survey_id}/poster").get_data(as_text=True)
    assert f"https://wy.example.cn/survey/{token}" in html
