def test_app01_healthz_answers_without_a_session(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.data == b"ok\n"
