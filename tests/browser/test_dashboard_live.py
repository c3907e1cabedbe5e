"""书记看板 in a real browser: click a grid cell on the map to open its panel; a case saved in
another browser context shows up in the open-case tile within one refresh interval.

The server runs with ``MINQING_REFRESH_SECONDS=3`` so that the live fragment reruns quickly.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AppServer, choose, login, shot, wait_idle

pytestmark = pytest.mark.browser

REFRESH_SECONDS = 3


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[AppServer]:
    """A fresh demo app whose live views refresh every 3 seconds."""
    server = AppServer(
        tmp_path_factory.mktemp("live"),
        env_extra={"MINQING_REFRESH_SECONDS": str(REFRESH_SECONDS)},
    )
    yield server
    server.stop()


def _first_cell(server: AppServer) -> tuple[int, str, str, float, float]:
    """A cell of the secretary's 社区 (id, community, name) and a point inside it (its ring's mean).

    The secretary sees only their own 社区 on the map (issue 14), so the cell is taken from it.
    """
    with sqlite3.connect(server.db_path) as conn:
        cid, community, name, geometry = conn.execute(
            "SELECT g.id, c.name, g.name, g.boundary_geojson FROM grid_cells g "
            "JOIN communities c ON c.id = g.community_id "
            "WHERE c.id = (SELECT community_id FROM users WHERE username = 'secretary') "
            "ORDER BY g.code LIMIT 1"
        ).fetchone()
    ring = json.loads(geometry)["coordinates"][0][:-1]
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    return cid, community, name, lon, lat


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return metric.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _open_dashboard(page, server: AppServer) -> None:
    login(page, server.url, "secretary")
    page.goto(f"{server.url}/dashboard")
    page.get_by_role("heading", name="书记看板").wait_for()
    wait_idle(page)
    page.locator(".js-plotly-plot .maplibregl-canvas").first.wait_for()


def test_clicking_a_grid_cell_opens_its_panel(live_server, page):
    _open_dashboard(page, live_server)  # the server creates its demo database on first use
    cid, community, name, lon, lat = _first_cell(live_server)
    plot = page.locator(".js-plotly-plot").filter(has=page.locator(".maplibregl-canvas")).first
    plot.scroll_into_view_if_needed()
    # Wait until MapLibre has rendered, then project the cell's inner point to pixels.
    page.wait_for_function(
        "(el) => el._fullLayout && el._fullLayout.map && el._fullLayout.map._subplot"
        " && el._fullLayout.map._subplot.map && el._fullLayout.map._subplot.map.loaded()",
        arg=plot.element_handle(),
        timeout=30_000,
    )
    xy = plot.evaluate(
        "(el, p) => { const m = el._fullLayout.map._subplot.map;"
        " const pt = m.project(p); const r = m.getCanvas().getBoundingClientRect();"
        " return [r.left + pt.x, r.top + pt.y]; }",
        [lon, lat],
    )
    page.mouse.click(xy[0], xy[1])
    page.get_by_text(f"网格详情：{community} · {name}").wait_for(timeout=30_000)
    page.get_by_text("民情搜集义务人：").first.wait_for()
    wait_idle(page)
    panel_text = page.inner_text("body")
    assert "片长：" in panel_text
    shot(page, "dashboard-cell-panel")
    # The ranking and the tiles are still there beside the panel.
    expect(page.get_by_text("网格排名（按解决率）")).to_have_count(1)
    assert cid > 0


def test_a_case_saved_elsewhere_appears_within_one_interval(live_server, browser):
    watcher_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    clerk_ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        watcher = watcher_ctx.new_page()
        clerk = clerk_ctx.new_page()
        for pg in (watcher, clerk):
            pg.set_default_timeout(60_000)
        _open_dashboard(watcher, live_server)
        before = int(_metric(watcher, "在办件数").replace(",", ""))

        login(clerk, live_server.url, "staff")
        clerk.goto(f"{live_server.url}/intake")
        clerk.get_by_role("heading", name="民情受理").wait_for()
        wait_idle(clerk)
        # conftest's choose waits for the app to settle and retries a click lost to a rerun.
        choose(clerk, "来源渠道", "民情热线")
        choose(clerk, "类别", "环境卫生")
        clerk.get_by_label("反映人姓名").fill("王大爷")
        clerk.get_by_label("联系电话").fill("13812345678")
        choose(clerk, "所属网格")
        clerk.get_by_label("诉求内容").fill("小区门口垃圾桶满了三天没人清运，气味很大")
        choose(clerk, "五件制类型", "即办件")
        wait_idle(clerk)
        clerk.get_by_role("button", name="保存受理").click()
        clerk.get_by_text("已受理。").wait_for()
        saved_at = time.monotonic()
        shot(clerk, "live-intake-saved")

        deadline = saved_at + REFRESH_SECONDS + 6
        after = before
        while time.monotonic() < deadline:
            after = int(_metric(watcher, "在办件数").replace(",", ""))
            if after == before + 1:
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - saved_at
        shot(watcher, "live-dashboard-updated")
        assert after == before + 1, (before, after)
        # One interval plus the fragment's own run and the browser's redraw.
        assert elapsed <= REFRESH_SECONDS + 6, elapsed
        print(
            f"open-case tile changed {elapsed:.1f} s after the save (interval {REFRESH_SECONDS} s)"
        )
    finally:
        watcher_ctx.close()
        clerk_ctx.close()
