"""Browser fixtures: a real ``streamlit run app.py`` on a free port with a fresh demo database,
and Debian's chromium driven by Playwright. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import DEMO_PASSWORD, ROOT, Settings
from tests.conftest import unavailable

AUTH_COOKIE = Settings.cookie_name
"""The login cookie's name (config.Settings)."""
CHROMIUM = os.environ.get("MINQING_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DEMO_BUILD = """
import sys
from sqlalchemy import text
from db.demo import ensure_demo_data
from db.engine import open_database
from db.migrate import upgrade_to_head
engine = open_database(sys.argv[1])
upgrade_to_head(engine)
ensure_demo_data(engine)
with engine.connect() as conn:
    conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
engine.dispose()
"""


def server_env(db_path: Path, env_extra: dict[str, str] | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MINQING_") or k == "MINQING_REQUIRE_SERVICES"
    }
    env.pop("DATABASE_URL", None)
    env.update({"DATABASE_URL": f"sqlite:///{db_path}", "MINQING_DEMO": "1"})
    env.update(env_extra or {})
    return env


@functools.cache
def demo_database() -> Path:
    """The demo database a fresh server would generate at its first page, built once per run.

    Built in a child process with a server's environment (the app's own ``ensure_demo_data``
    after migrating); each demo server starts on a copy, so test modules still do not see each
    other's writes, and none waits ~20 s for its own generation.
    """
    folder = Path(tempfile.mkdtemp(prefix="minqing-demo-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "demo.db"
    env = server_env(path, None)
    subprocess.run(
        [sys.executable, "-c", DEMO_BUILD, env["DATABASE_URL"]], cwd=ROOT, env=env, check=True
    )
    return path


class AppServer:
    """A running ``streamlit run app.py``; ``url`` is its base address.

    A demo server (the default) starts on a copy of ``demo_database()``.
    """

    def __init__(self, tmp: Path, env_extra: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = tmp / "minqing.db"
        env = server_env(self.db_path, env_extra)
        demo_file = env["DATABASE_URL"] == f"sqlite:///{self.db_path}"
        if env["MINQING_DEMO"] == "1" and demo_file and not self.db_path.exists():
            shutil.copyfile(demo_database(), self.db_path)
        self.log = (tmp / "server.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.headless", "true", "--server.port", str(self.port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("streamlit did not become healthy in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium under Playwright (skips locally, fails in CI, when missing)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        unavailable(f"chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[AppServer]:
    """A freshly started app on a fresh demo database, shared by one test module."""
    server = AppServer(tmp_path_factory.mktemp("app"))
    yield server
    server.stop()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A new browser context and page (1440×900, zh-CN)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot under ``test-artifacts/`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )


def login(
    page, base_url: str, username: str, password: str = DEMO_PASSWORD, path: str = "/"
) -> None:
    """Log in through the login form and wait for the app to settle.

    The login cookie component may trigger one more script run right after the first page
    load; a click that lands during it is dropped by Streamlit, so the click is retried.
    """
    page.goto(base_url + path)  # ``path``: a deep link the login must keep
    page.get_by_label("用户名", exact=True).wait_for()
    secret = page.get_by_label("密码", exact=True)  # exact: not a page's 初始密码 or 新密码
    for _attempt in range(4):
        wait_idle(page)
        if secret.count() == 0:  # the last click went through, slowly
            break
        page.get_by_label("用户名", exact=True).fill(username)
        secret.fill(password)
        page.get_by_role("button", name="登录", exact=True).click()  # not 退出登录
        try:
            secret.wait_for(state="detached", timeout=15_000)
            break
        except Exception:  # still on the login form: the click was dropped
            continue
    wait_idle(page)
    if page.get_by_label("用户名", exact=True).count() and secret.count():
        alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
        raise AssertionError(f"could not log in as {username}: {alerts}")
    # The login cookie is written by a component in the browser, a moment after the page
    # shows the logged-in app; a navigation before that opens a new session without it
    # (the login form). Wait for it, as a user's next click would.
    # (Bounded, not required: a page that keeps rerunning, like the viewer's deck, may write it
    # later; its own navigation then behaves as before.)
    deadline = time.monotonic() + 15
    while not any(c["name"] == AUTH_COOKIE for c in page.context.cookies()):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)


def single(locator, timeout: float = 10.0):
    """``locator`` once it matches one element.

    Right after a rerun that moved a widget, Streamlit can briefly keep the old (stale) copy
    beside the new one; the status widget does not show for short runs, so ``wait_idle``
    cannot see it. If two copies stay, the newest (last in the page) is the live one.
    """
    deadline = time.monotonic() + timeout
    while locator.count() > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    return locator.last if locator.count() > 1 else locator


def choose(page, label: str, option: str | None = None, attempts: int = 3) -> None:
    """Pick ``option`` (or the first option) in the Streamlit selectbox labelled ``label``.

    Under load a click can land while the widget is still being redrawn and the list never
    opens, or a rerun closes the list under the click; the choice is then retried.
    """
    for _attempt in range(attempts):
        wait_idle(page)
        single(page.get_by_label(label, exact=True)).click()
        options = page.get_by_role("option")
        target = (
            options.first
            if option is None
            else options.filter(has_text=re.compile(f"^{re.escape(option)}$")).first
        )
        try:
            target.wait_for(timeout=10_000)
            target.click(timeout=10_000)
        except Exception:  # the list did not open, or a rerun closed it under the click
            page.keyboard.press("Escape")
            continue
        wait_idle(page)
        return
    raise AssertionError(f"could not choose {option!r} in {label!r}")
