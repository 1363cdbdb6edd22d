"""`pip install .` gives a complete app: templates, static files, migrations, translations.

The deployment guide installs the wheel into a virtualenv and serves static files from
the installed package, so the wheel must carry everything the checkout has.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

REQUIRED = [
    "webapp/templates/base.html",
    "webapp/static/css/app.css",
    "webapp/static/vendor/htmx/htmx.min.js",
    "webapp/static/sw.js",
    "webapp/migrations/env.py",
    "webapp/migrations/alembic.ini",
    "webapp/migrations/script.py.mako",
    "webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.mo",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(REPO)],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("estatedesk-*.whl")
    return built


def test_wheel_carries_templates_static_files_migrations_and_translations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in REQUIRED if name not in names]
    assert not missing, f"missing from the wheel: {missing}"
    assert any(n.startswith("webapp/migrations/versions/") and n.endswith(".py") for n in names)
    assert not any("__pycache__" in n or n.startswith(("tests/", "instance/")) for n in names)


def test_installed_package_serves_the_login_page_from_its_own_files(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=180,
    )
    work = tmp_path / "cwd"
    work.mkdir()
    script = """
import webapp
from webapp import create_app
from webapp.config import TestConfig
app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
client = app.test_client()
page = client.get("/login")
css = client.get("/static/css/app.css")
print(webapp.__file__)
print(app.template_folder)
print(page.status_code, "登录" in page.get_data(as_text=True), css.status_code)
"""
    # The installed package first (PYTHONPATH comes before site-packages, where this
    # virtualenv's dependencies are), run from elsewhere than the checkout.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ESTATEDESK_ENV")}
    env["PYTHONPATH"] = str(target)
    env["ESTATEDESK_INSTANCE"] = str(tmp_path / "instance")
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    package_file, template_folder, outcome = result.stdout.strip().splitlines()[-3:]
    assert Path(package_file).is_relative_to(target)
    assert Path(template_folder).is_relative_to(target)
    assert outcome == "200 True 200"
