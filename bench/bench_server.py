"""What users feel: the real server (`streamlit run`) driven by a real browser (Playwright).

    python -m bench.bench_server                              # demo database, built if missing
    python -m bench.bench_server --url sqlite:///bench/out/cases-1m.db --soak 1000

For each Streamlit setting of ``runner.postScriptGC`` (on: Streamlit's default; off: ours in
``.streamlit/config.toml``) it starts the server through ``bench.server_probe`` (every script
run timed from inside: wall, script-thread CPU, RSS) and measures, as the demo ``secretary``:

- cold: the browser time from navigation to a settled page, the first time each page is
  opened after the server started (landing page, dashboard, ledger, a case);
- warm: reruns of each page (the ``r`` key, as a widget change would), and of the ledger with a
  search term typed in: browser time from the key to the settled page, and the server's wall
  and CPU time per script run (p50/p95);
- concurrency: K = 1, 2, 4, 8 sessions rerunning the dashboard at once: reruns per second and
  browser latency p50/p95;
- soak (``--soak N``): N dashboard reruns, the server's RSS at the start and the end.

Figures are printed beside a baseline of the same run: the logged-out login page's rerun (the
floor of any script run on this server), and K = 1 for the concurrency rows.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from db.engine import make_engine, session_factory
from db.models import Case, User

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
CHROMIUM = os.environ.get("MINQING_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "minqing-demo"

# Counts finished script runs in the page: Streamlit marks its root with the run state.
OBSERVER = """
window.__runs = 0; window.__done = 0; window.__t0 = 0;
new MutationObserver((records) => {
  for (const r of records) {
    if (r.target.getAttribute('data-test-script-state') === 'notRunning') {
      window.__runs += 1; window.__done = performance.now();
    }
  }
}).observe(document, {subtree: true, attributes: true,
                      attributeFilter: ['data-test-script-state']});
"""
SETTLED = """() => { const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]'); }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Server:
    """A ``streamlit run app.py`` under the probe."""

    proc: subprocess.Popen[bytes]
    url: str
    probe: Path

    def runs(self) -> list[tuple[float, float, float, int]]:
        if not self.probe.exists():
            return []
        rows = []
        for line in self.probe.read_text().splitlines():
            end, wall, cpu, rss = line.split()
            rows.append((float(end), float(wall), float(cpu), int(rss)))
        return rows

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(url: str, *, gc: bool) -> Iterator[Server]:
    port = _free_port()
    probe = OUT / f"probe-{port}.txt"
    probe.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update({"DATABASE_URL": url, "MINQING_DEMO": "1"})
    log = (OUT / f"server-{port}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.server_probe", str(probe), "app.py",
         "--server.headless", "true", "--server.port", str(port),
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
         "--runner.postScriptGC", "true" if gc else "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    try:
        yield Server(proc, base, probe)
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def settle(page: Any) -> None:
    page.wait_for_function(SETTLED, timeout=120_000)


def login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    page.get_by_label("用户名").wait_for(timeout=120_000)
    for _ in range(3):
        settle(page)
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        try:
            page.get_by_label("密码").wait_for(state="detached", timeout=30_000)
            break
        except Exception:
            continue
    settle(page)


def goto_timed(page: Any, url: str) -> float:
    """Browser ms from navigation to a settled page."""
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function("() => window.__runs > 0", timeout=120_000)
    settle(page)
    return (time.perf_counter() - started) * 1000


def rerun(page: Any) -> None:
    """One script run, as a widget change triggers it: the ``r`` key outside any input."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    before = page.evaluate("() => { window.__t0 = performance.now(); return window.__runs; }")
    page.keyboard.press("r")
    page.wait_for_function(f"() => window.__runs > {before}", timeout=120_000)


def latency(page: Any) -> float:
    return float(page.evaluate("() => window.__done - window.__t0"))


@dataclass
class Measure:
    name: str
    browser: list[float]
    wall: list[float]
    cpu: list[float]

    def line(self, floor: float) -> str:
        ratio = statistics.median(self.wall) / floor if self.wall and floor else float("nan")
        return (
            f"{self.name:<34} {_pct(self.browser, 0.5):8.0f} {_pct(self.browser, 0.95):8.0f}"
            f" {_pct(self.wall, 0.5):8.1f} {_pct(self.wall, 0.95):8.1f} {_pct(self.cpu, 0.5):8.1f}"
            f"   ×{ratio:5.1f}"
        )


def warm(srv: Server, page: Any, name: str, reruns: int) -> Measure:
    start = len(srv.runs())
    browser = []
    for _ in range(reruns):
        rerun(page)
        browser.append(latency(page))
    settle(page)
    runs = srv.runs()[start:]
    return Measure(name, browser, [r[1] for r in runs], [r[2] for r in runs])


def case_id(url: str, username: str) -> int:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        community = session.scalar(select(User.community_id).where(User.username == username))
        query = select(Case.id).order_by(Case.id.desc()).limit(1)
        if community is not None:
            query = query.where(Case.community_id == community)
        found = session.scalar(query)
    engine.dispose()
    return int(found or 1)


def one_config(pw: Any, url: str, *, gc: bool, args: argparse.Namespace) -> list[str]:
    lines: list[str] = []
    chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
    with server(url, gc=gc) as srv:
        context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        context.add_init_script(OBSERVER)
        page = context.new_page()
        page.set_default_timeout(120_000)
        cold_login = goto_timed(page, srv.url + "/")
        floor = warm(srv, page, "login page (logged out)", args.reruns)
        login(page, srv.url, args.user)
        cold = {"landing": cold_login}
        pages = [
            ("landing page 首页", "/"),
            ("dashboard 书记看板", "/dashboard"),
            ("ledger 台账", "/ledger"),
            ("case page 案件", f"/case?id={case_id(url, args.user)}"),
        ]
        measures = [floor]
        for name, path in pages:
            cold[name] = goto_timed(page, srv.url + path)
            measures.append(warm(srv, page, name, args.reruns))
        page.goto(srv.url + "/ledger")
        settle(page)
        for term in args.terms.split(","):
            box = page.get_by_label("搜索")
            box.fill(term)
            box.press("Enter")
            settle(page)
            measures.append(warm(srv, page, f"ledger search 「{term}」", args.reruns))
        floor_ms = statistics.median(floor.wall)
        lines.append(f"\n== runner.postScriptGC = {'on' if gc else 'off'}")
        lines.append("cold (first open after start), browser ms to a settled page:")
        lines.extend(f"  {name:<32} {ms:8.0f}" for name, ms in cold.items())
        lines.append(
            f"{'warm reruns':<34} {'br p50':>8} {'br p95':>8} {'srv p50':>8} {'srv p95':>8}"
            f" {'cpu p50':>8}   vs login-page rerun"
        )
        lines.extend(m.line(floor_ms) for m in measures)
        lines.extend(concurrency(chromium, srv, args))
        if args.soak:
            lines.extend(soak(page, srv, args.soak))
        context.close()
    chromium.close()
    return lines


def concurrency(chromium: Any, srv: Server, args: argparse.Namespace) -> list[str]:
    lines = ["concurrent sessions rerunning the dashboard (browser latency, ms):"]
    base_rate = 0.0
    for k in (int(v) for v in args.sessions.split(",")):
        contexts, pages = [], []
        for _ in range(k):
            context = chromium.new_context(viewport={"width": 1400, "height": 900})
            context.add_init_script(OBSERVER)
            page = context.new_page()
            page.set_default_timeout(180_000)
            login(page, srv.url, args.user)
            page.goto(srv.url + "/dashboard")
            settle(page)
            contexts.append(context)
            pages.append(page)
        cpu0, started, lat = srv.cpu_seconds(), time.perf_counter(), []
        for _ in range(args.rounds):
            befores = []
            for page in pages:
                page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
                befores.append(
                    page.evaluate(
                        "() => { window.__t0 = performance.now(); return window.__runs; }"
                    )
                )
                page.keyboard.press("r")
            for page, before in zip(pages, befores, strict=True):
                page.wait_for_function(f"() => window.__runs > {before}")
                lat.append(latency(page))
        elapsed = time.perf_counter() - started
        cpu = srv.cpu_seconds() - cpu0
        rate = k * args.rounds / elapsed
        base_rate = base_rate or rate
        lines.append(
            f"  K={k:<3} {rate:6.1f} reruns/s (×{rate / base_rate:4.2f} of K=1)"
            f"  p50 {_pct(lat, 0.5):7.0f}  p95 {_pct(lat, 0.95):7.0f}"
            f"  server CPU {cpu * 1000 / (k * args.rounds):6.1f} ms/rerun"
        )
        for context in contexts:
            context.close()
    return lines


def soak(page: Any, srv: Server, reruns: int) -> list[str]:
    page.goto(srv.url + "/dashboard")
    settle(page)
    start = len(srv.runs())
    for _ in range(reruns):
        rerun(page)
    runs = srv.runs()[start:]
    head = statistics.median(r[3] for r in runs[:50]) / 1024
    tail = statistics.median(r[3] for r in runs[-50:]) / 1024
    return [f"soak: {len(runs)} dashboard reruns, RSS {head:.0f} MB → {tail:.0f} MB"]


def ensure_demo(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(select(Case.id).limit(1))
            return
    except Exception:
        pass
    finally:
        engine.dispose()
    subprocess.run([sys.executable, "-m", "db.demo", "--url", url], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_server")
    parser.add_argument("--url", default=f"sqlite:///{OUT / 'server-demo.db'}")
    parser.add_argument("--user", default="secretary")
    parser.add_argument("--gc", default="on,off", help="runner.postScriptGC settings to run")
    parser.add_argument("--reruns", type=int, default=15)
    parser.add_argument("--terms", default="路灯,王伟,查无此词")
    parser.add_argument("--sessions", default="1,2,4,8")
    parser.add_argument("--rounds", type=int, default=8, help="reruns per session per K")
    parser.add_argument("--soak", type=int, default=0, help="dashboard reruns for the RSS soak")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    ensure_demo(args.url)
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()
    print(f"bench_server — {args.url}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    with sync_playwright() as pw:
        for setting in args.gc.split(","):
            for line in one_config(pw, args.url, gc=setting == "on", args=args):
                print(line, flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
