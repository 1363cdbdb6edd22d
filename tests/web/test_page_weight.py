"""First visit on a phone over a weak signal (APP-01): the login page and "My work" with
everything they pull in stay under 60 KB gzip-compressed."""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import sqlalchemy as sa

from tests.conftest import HX, post
from tests.factories import PASSWORD

BUDGET = 60 * 1024
FETCHED_RELS = {"stylesheet", "icon", "apple-touch-icon", "manifest", "preload", "modulepreload"}


class References(HTMLParser):
    """The URLs a browser fetches while loading a page."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and FETCHED_RELS & set((attrs.get("rel") or "").split()):
            self.urls.append(attrs["href"])
        elif tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))  # what nginx/gunicorn setups typically use


def first_visit(client, path: str, sizes: dict[str, int]) -> None:
    """Fetch a page and everything it references (CSS url()s, the manifest's icons, the
    service worker and what it pre-caches), recording each URL's gzip size once."""
    queue = [path]
    while queue:
        url = queue.pop(0)
        if url in sizes:
            continue
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        sizes[url] = gzipped(response.data)
        if response.mimetype == "text/html":
            queue += references(response.get_data(as_text=True))
            queue += re.findall(r'data-sw="([^"]+)"', response.get_data(as_text=True))
        elif response.mimetype == "text/css":
            queue += [urljoin(url, ref) for ref in re.findall(r"url\(['\"]?([^'\")]+)", response.get_data(as_text=True))
                      if not ref.startswith("data:")]
        elif response.mimetype == "application/manifest+json":
            queue += [icon["src"] for icon in response.get_json()["icons"]]
        elif url.endswith("sw.js"):
            shell = re.search(r"^const SHELL = (.*);$", response.get_data(as_text=True), re.MULTILINE)
            queue += json.loads(shell.group(1))["urls"]


def test_app01_first_visit_of_login_and_my_work_weighs_under_60_kb(client, world):
    sizes: dict[str, int] = {}
    first_visit(client, "/login", sizes)
    response = post(client, "/login", {"username": world.users[("staff", "own")], "password": PASSWORD})
    assert response.status_code == 303
    first_visit(client, "/", sizes)  # assets already on the phone are not fetched again

    assert {"/login", "/", "/static/css/app.css", "/static/js/app.js",
            "/static/vendor/htmx/htmx.min.js", "/manifest.webmanifest", "/sw.js"} <= {
        url.split("?")[0] for url in sizes}
    total = sum(sizes.values())
    detail = ", ".join(f"{url} {size}" for url, size in sorted(sizes.items(), key=lambda i: -i[1]))
    print(f"first visit: {total} bytes gzipped: {detail}")
    assert total < BUDGET, f"first visit is {total} bytes gzipped: {detail}"


# ---------------------------------------------------------------------------- scale


def _first_visit_signed_in(client, login, username: str) -> dict[str, int]:
    login(username)
    sizes: dict[str, int] = {}
    first_visit(client, "/", sizes)
    return sizes


def test_scale_first_visit_of_my_work_on_a_phone_weighs_under_60_kb_gzip_with_everything_it_pulls_in(
    client, world, login
):
    """A phone signed in by remember-me opens My work first: the page, its CSS, scripts,
    icons, the manifest and its icons, the service worker and everything it pre-caches,
    all counted, gzip-compressed as nginx sends them."""
    sizes = _first_visit_signed_in(client, login, world.users[("dept_supervisor", "own")])
    fetched = {url.split("?")[0] for url in sizes}
    manifest = client.get("/manifest.webmanifest").get_json()
    precached = json.loads(
        re.search(r"^const SHELL = (.*);$", client.get("/sw.js").get_data(as_text=True), re.MULTILINE).group(1)
    )["urls"]
    assert {"/", "/static/css/app.css", "/static/js/app.js", "/static/vendor/htmx/htmx.min.js",
            "/manifest.webmanifest", "/sw.js"} <= fetched
    assert {icon["src"].split("?")[0] for icon in manifest["icons"]} <= fetched
    assert {url.split("?")[0] for url in precached} <= fetched
    total = sum(sizes.values())
    detail = ", ".join(f"{url} {size}" for url, size in sorted(sizes.items(), key=lambda i: -i[1]))
    assert total < BUDGET, f"first visit of My work is {total} bytes gzipped: {detail}"


#: an HTMX list fragment of 20 rows, measured gzip-compressed: nginx compresses text/html
#: (deploy/nginx/estatedesk.conf: gzip on, gzip_comp_level 5), so that is what a phone receives
FRAGMENT_BUDGET = 8 * 1024
NGINX_GZIP_LEVEL = 5
ROWS = 20


def _fragment_size(client, path: str, root_id: str) -> tuple[int, str]:
    """The gzip size, as nginx sends it, of an HTMX fragment, and its HTML."""
    response = client.get(path, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and f'id="{root_id}"' in html
    return len(gzip.compress(response.data, compresslevel=NGINX_GZIP_LEVEL)), html


def _slips(app, world, count: int) -> None:
    from tests import factories
    from webapp.extensions import db
    from webapp.org.models import Project, User

    with app.app_context():
        project = db.session.get(Project, world.own.id)
        staff = db.session.scalar(sa.select(User).where(User.username == world.users[("staff", "own")]))
        for n in range(count):
            factories.make_slip(
                db.session, project, staff, urgent=n % 2 == 0, facility_id=world.own.facility_id,
                description="消防通道堆放杂物，影响通行，请尽快清理" * 2,
                status=("filed", "escalated", "awaiting_verification")[n % 3],
                responsible_department_id=world.own.department_id,
            )
        db.session.commit()


def test_scale_slip_list_and_desk_fragments_of_20_rows_weigh_under_8_kb_gzip(app, client, world, login):
    _slips(app, world, ROWS)
    login(world.users[("receptionist", "own")])
    listing, html = _fragment_size(client, "/slips/", "slip-list")
    assert html.count('class="card slip-row') == ROWS
    desk, html = _fragment_size(client, "/slips/desk", "desk-queue")
    assert html.count('class="card slip-row') == ROWS
    assert listing < FRAGMENT_BUDGET, f"the slip list's 20 rows are {listing} bytes gzipped"
    assert desk < FRAGMENT_BUDGET, f"the desk refresh with 20 slips is {desk} bytes gzipped"


def test_scale_complaint_list_fragment_of_20_rows_weighs_under_8_kb_gzip(app, client, world, login):
    from tests import factories
    from webapp.extensions import db
    from webapp.org.models import Project, User

    with app.app_context():
        project = db.session.get(Project, world.own.id)
        desk = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        for n in range(ROWS):
            factories.make_complaint(
                db.session, project, desk, complaint_class=("minor", "important", "major")[n % 3],
                complained_department_id=world.own.department_id,
                description="保安对业主态度恶劣，要求道歉并整改" * 2,
            )
        db.session.commit()
    login(world.users[("cs_supervisor", "own")])
    size, html = _fragment_size(client, "/complaints/", "complaint-list")
    assert html.count('class="card complaint-row') == ROWS
    assert size < FRAGMENT_BUDGET, f"the complaint list's 20 rows are {size} bytes gzipped"


def test_scale_static_asset_urls_in_pages_are_fingerprinted(client, world, login):
    """Every static file a page references carries ?v=<content hash>, so nginx may let
    phones cache it for a year and a deploy still reaches them."""
    login(world.users[("staff", "own")])
    html = client.get("/").get_data(as_text=True)
    assets = [url for url in references(html) if url.startswith("/static/")]
    assets += re.findall(r'data-sw="([^"]+)"', html)
    assert any(url.startswith("/static/css/") for url in assets) and any(url.startswith("/static/js/") for url in assets)
    for url in (u for u in assets if u.startswith("/static/")):
        assert re.search(r"[?&]v=[0-9a-f]{8,}$", url), f"{url} has no content fingerprint"
        path, version = url.split("?v=")
        assert client.get(f"{path}?v={version}").status_code == 200
