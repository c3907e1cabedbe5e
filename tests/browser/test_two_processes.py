"""Several processes, one database (issue 17 item 6): two ``streamlit run`` processes on the same
PostgreSQL database, as ``deploy/run-processes.sh`` starts them behind nginx. A case recorded in
a browser on process B shows in the 书记看板 open on process A within about one refresh interval
(the dashboard's cache fingerprint reads the database, so another process's write is seen).

The database is a schema of its own on the test server, prepared once before either process
starts (the step ``run-processes.sh`` runs: migrate, default categories, demo data), and
dropped afterwards.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from config import ROOT
from db.engine import make_engine
from tests.browser.conftest import AppServer, choose, login, server_env, shot, wait_idle
from tests.conftest import PG_URL, unavailable

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

REFRESH_SECONDS = 3
PREPARE = "from ui.context import get_engine; get_engine().dispose()"  # as run-processes.sh
DESCRIPTION = "两进程测试：楼道灯坏了一个星期，晚上上下楼看不见"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL server, as a ``DATABASE_URL``; dropped afterwards."""
    tag = f"t2p_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{tag}"'))
    except Exception as exc:  # any failure to connect is a reason to skip
        admin.dispose()
        unavailable(f"{PG_URL.split('@')[-1]} not reachable ({type(exc).__name__})")
    url = admin.url.update_query_dict({"options": f"-csearch_path={tag}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{tag}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def two_servers(
    pg_url: str, tmp_path_factory: pytest.TempPathFactory, browser
) -> Iterator[tuple[AppServer, AppServer]]:
    """Processes A and B on the one schema, live views refreshing every 3 s."""
    extra = {"DATABASE_URL": pg_url, "MINQING_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    env = server_env(tmp_path_factory.mktemp("prepare") / "unused.db", extra)
    subprocess.run([sys.executable, "-c", PREPARE], cwd=ROOT, env=env, check=True)
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(AppServer, tmp_path_factory.mktemp(name), extra) for name in ("a", "b")
        ]
    servers = [f.result() for f in futures]
    yield servers[0], servers[1]
    for server in servers:
        server.stop()


def _open_cases(page) -> int:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text="在办件数")
    )
    raw = metric.first.locator('[data-testid="stMetricValue"]').inner_text()
    return int(raw.strip().replace(",", ""))


def test_a_write_in_one_process_shows_in_the_others_dashboard(two_servers, browser, pg_url):
    server_a, server_b = two_servers
    assert server_a.port != server_b.port and server_a.proc.pid != server_b.proc.pid
    watcher_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    clerk_ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        watcher = watcher_ctx.new_page()
        clerk = clerk_ctx.new_page()
        for pg in (watcher, clerk):
            pg.set_default_timeout(60_000)
        login(watcher, server_a.url, "secretary")
        watcher.goto(f"{server_a.url}/dashboard")
        watcher.get_by_role("heading", name="书记看板").wait_for()
        wait_idle(watcher)
        before = _open_cases(watcher)

        login(clerk, server_b.url, "staff")
        clerk.goto(f"{server_b.url}/intake")
        clerk.get_by_role("heading", name="民情受理").wait_for()
        wait_idle(clerk)
        choose(clerk, "来源渠道", "民情热线")
        choose(clerk, "类别", "社区事务")
        clerk.get_by_label("反映人姓名").fill("赵阿姨")
        clerk.get_by_label("联系电话").fill("13912345678")
        choose(clerk, "所属网格")
        clerk.get_by_label("诉求内容").fill(DESCRIPTION)
        choose(clerk, "五件制类型", "即办件")
        wait_idle(clerk)
        clerk.get_by_role("button", name="保存受理").click()
        clerk.get_by_text("已受理。").wait_for()
        saved_at = time.monotonic()

        # The write went to the shared PostgreSQL schema (not to some file of B's own).
        engine = make_engine(pg_url)
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT COUNT(*) FROM cases WHERE description = :d"), {"d": DESCRIPTION}
            ).scalar_one()
        engine.dispose()
        assert stored == 1

        deadline = saved_at + REFRESH_SECONDS + 6
        after = before
        while time.monotonic() < deadline:
            after = _open_cases(watcher)
            if after == before + 1:
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - saved_at
        shot(watcher, "two-processes-dashboard-on-a")
        assert after == before + 1, (before, after)
        # One interval plus the fragment's own run and the browser's redraw.
        assert elapsed <= REFRESH_SECONDS + 6, elapsed
        print(f"process A's tile changed {elapsed:.1f} s after process B's save")
    finally:
        watcher_ctx.close()
        clerk_ctx.close()
