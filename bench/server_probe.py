"""``streamlit run`` with every script run timed: the real server, measured from inside.

    python -m bench.server_probe <probe file> [streamlit run arguments …]

Wraps Streamlit's ``ScriptRunner._run_script`` (which ends with Streamlit's own post-run work,
including ``runner.postScriptGC``) and appends one line per script run to the probe file:
``<end time> <wall ms> <script thread CPU ms> <process RSS kB>``. Nothing else changes: the
app, its config and Streamlit's behaviour are the ones ``streamlit run`` has.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def install(probe: Path) -> None:
    """Time every script run into ``probe``."""
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner.ScriptRunner._run_script
    lock = threading.Lock()

    def timed(self: Any, rerun_data: Any) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            original(self, rerun_data)
        finally:
            wall_ms = (time.perf_counter() - wall) * 1000
            cpu_ms = (time.thread_time() - cpu) * 1000
            line = f"{time.time():.4f} {wall_ms:.2f} {cpu_ms:.2f} {_rss_kb()}\n"
            with lock, probe.open("a") as out:
                out.write(line)

    script_runner.ScriptRunner._run_script = timed  # type: ignore[method-assign]


def main() -> None:
    probe = Path(sys.argv[1])
    install(probe)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *sys.argv[2:]]
    cli.main()


if __name__ == "__main__":
    main()
