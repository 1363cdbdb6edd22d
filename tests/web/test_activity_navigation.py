"""The activities tab of the main navigation: for the people who organise activities or
approve their plans; everyone else reaches an activity from "My work"."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("publicist", True),
        ("cs_supervisor", True),
        ("pm", True),
        ("receptionist", True),
        ("staff", False),
        ("dept_supervisor", False),
    ],
)
def test_act01_the_activities_tab_is_there_for_those_who_organise(client, login, world, role, shown):
    login(world.users[(role, "own")])
    html = client.get("/").get_data(as_text=True)
    assert ('id="nav-activities"' in html) is shown
    if shown:
        assert client.get("/activities/").status_code == 200


def test_act02_the_vice_president_has_the_tab_to_approve_plans(client, login, world):
    login(world.users[("vp", None)])
    assert 'id="nav-activities"' in client.get("/").get_data(as_text=True)
