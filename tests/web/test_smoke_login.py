from tests.conftest import post


def test_org01_user_signs_in_and_lands_on_my_work(client, world, login):
    response = login(world.users[("pm", "own")])
    assert response.location == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "<html" in page.get_data(as_text=True)


def test_org02_estate_page_lists_only_own_project(client, world, login):
    login(world.users[("pm", "own")])
    html = client.get("/estate/").get_data(as_text=True)
    assert "own1栋" in html
    assert "other1栋" not in html


def test_org02_company_role_sees_every_project(client, world, login):
    login(world.users[("gm", None)])
    html = client.get("/estate/").get_data(as_text=True)
    assert "own1栋" in html and "other1栋" in html


def test_logout_needs_post_with_csrf(client, world, login):
    login(world.users[("pm", "own")])
    assert client.post("/logout").status_code == 400
    assert post(client, "/logout").status_code == 303
    assert client.get("/").status_code == 302
