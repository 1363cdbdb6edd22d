"""First visit on a phone over a weak signal (APP-01): the login page and "My work" with
everything they pull in stay under 60 KB gzip-compressed."""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from tests.conftest import post
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
