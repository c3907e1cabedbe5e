"""Every page guards itself: direct URLs on a fresh server show the login form and no data;
each role sees exactly its own pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import ROOT
from db.demo import DEMO_ACCOUNTS
from domain.roles import PageKey, Role, can_open
from tests.browser.conftest import login, shot, wait_idle
from ui.navigation import PAGES

pytestmark = pytest.mark.browser

# URL paths of the registry and, for the pages/ folder hazard, of every module file there.
PATHS = sorted(
    {spec.key.value for spec in PAGES}
    | {p.stem for p in (ROOT / "pages").glob("*.py") if not p.stem.startswith("_")}
)
DATA_MARKERS = re.compile(r"MQ-\d{4}-\d{6}|1[3-9]\d\*{4}\d{4}|1[3-9]\d{9}")


def test_direct_urls_on_a_fresh_server_show_only_the_login_form(app_server, page):
    # this module's server is fresh: nobody has logged in on it yet
    for path in PATHS:
        page.goto(f"{app_server.url}/{path}")
        page.get_by_label("用户名").wait_for()
        page.get_by_label("密码").wait_for()  # the whole login form, drawn a moment after 用户名
        wait_idle(page)
        text = page.inner_text("body")
        assert "密码" in text, path
        assert not DATA_MARKERS.search(text), (path, DATA_MARKERS.search(text))
        assert page.locator('[data-testid="stMetric"]').count() == 0, path
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0, path
    shot(page, "direct-url-without-login")


def _nav_titles(page) -> set[str]:
    nav = page.locator('[data-testid="stSidebarNav"]')
    if nav.count() == 0:
        return set()
    # each link's text is the icon's ligature name, then the title on its own line
    return {
        t.strip().splitlines()[-1].strip() for t in nav.locator("a").all_inner_texts() if t.strip()
    }


DEMO_LOGIN = {Role(role): username for username, role, _name in DEMO_ACCOUNTS}


ENGLISH = re.compile(r"Page not found|Running the app's main page|not found", re.IGNORECASE)


def _refused_here(page, spec) -> None:  # type: ignore[no-untyped-def]
    """The page shows the Chinese refusal of ``spec``: no English dialog, none of its content."""
    page.get_by_text(f"您的角色无权使用「{spec.title}」页面。").wait_for()
    page.get_by_role("link", name="返回首页").wait_for()  # the way back, drawn
    wait_idle(page)
    page.wait_for_timeout(500)  # Streamlit's 「Page not found」 dialog opens right after the run
    text = page.inner_text("body")
    assert not ENGLISH.search(text), (spec.key, ENGLISH.search(text))
    assert page.locator('[role="dialog"]').count() == 0, spec.key
    assert page.locator("h1").first.inner_text().strip() == "无权访问", spec.key
    assert not DATA_MARKERS.search(text), (spec.key, DATA_MARKERS.search(text))
    assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0
    path = page.url.split("?")[0]
    assert path.endswith((f"/{spec.key.value}", f"/{spec.module.split('.')[-1]}")), page.url


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.VIEWER])
def test_each_role_sees_exactly_its_pages(app_server, page, role):
    login(page, app_server.url, DEMO_LOGIN[role])
    expected = {spec.title for spec in PAGES if can_open(role, spec.key)}
    titles = _nav_titles(page)
    assert titles == expected, (role, titles ^ expected)
    refused = next((spec for spec in PAGES if not can_open(role, spec.key)), None)
    if refused is not None:
        page.goto(f"{app_server.url}/{refused.key.value}")
        page.get_by_role("button", name="退出登录").wait_for()
        _refused_here(page, refused)
        assert _nav_titles(page) == expected  # the refused page is not added to the menu
        shot(page, f"role-{role.value}-refused")
        page.get_by_role("link", name="返回首页").click()
        page.wait_for_url(lambda url: not url.split("?")[0].endswith(f"/{refused.key.value}"))
        page.get_by_text(f"您的角色无权使用「{refused.title}」页面。").wait_for(state="detached")
        wait_idle(page)
    shot(page, f"role-{role.value}")


def test_module_file_urls_open_their_page_or_its_refusal(app_server, page):
    """/case_detail?id=1 is /case?id=1; /calendar_admin is 工作日历's refusal for staff."""
    login(page, app_server.url, "staff")
    page.goto(f"{app_server.url}/case_detail?id=1")
    page.wait_for_url(re.compile(r"/case\?id=1$"))
    wait_idle(page)
    page.wait_for_timeout(500)
    assert not ENGLISH.search(page.inner_text("body"))
    assert page.locator('[role="dialog"]').count() == 0
    page.goto(f"{app_server.url}/calendar_admin")
    _refused_here(page, next(spec for spec in PAGES if spec.key is PageKey.CALENDAR))


def test_viewer_gets_no_case_pages(app_server, page):
    login(page, app_server.url, "viewer")
    titles = _nav_titles(page)
    assert not titles & {
        spec.title for spec in PAGES if spec.key in {PageKey.LEDGER, PageKey.CASE, PageKey.INTAKE}
    }
    page.goto(f"{app_server.url}/{PageKey.LEDGER.value}")
    _refused_here(page, next(spec for spec in PAGES if spec.key is PageKey.LEDGER))
    shot(page, "role-viewer-refused")


def test_page_modules_define_only_functions_and_guard_direct_runs():
    """Importing a page module draws nothing; running its file directly runs the app's gate."""
    for path in (ROOT / "pages").glob("*.py"):
        if path.name == "__init__.py":
            continue
        source = Path(path).read_text(encoding="utf-8")
        top_level_calls = [
            line for line in source.splitlines() if re.match(r"^(st\.|render\()", line)
        ]
        assert not top_level_calls, (path.name, top_level_calls)
        assert 'if __name__ == "__main__":' in source and "run_app_instead()" in source, path.name
