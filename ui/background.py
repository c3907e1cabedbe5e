"""Long work off the interactive path: one daemon thread per job, polled by a fragment.

A large export built inside a script run blocks that session and, holding the run, keeps the
server from stopping. A ``BackgroundJob`` runs the work in a daemon thread (the process can stop
on SIGTERM while it runs: the thread dies with it) and counts its progress; the page keeps the
job in ``st.session_state`` and shows its progress from a fragment that reruns every second.
The worker never calls Streamlit: it gets everything it needs (a session factory, the filters)
from the script thread and only writes the job's own fields.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside the worker when the page no longer wants the result."""


@dataclass
class BackgroundJob:
    """A piece of work in a daemon thread: progress (``done`` of ``total``), result or error."""

    total: int
    key: Any = None
    """What the result was made for (e.g. the filters): a page drops a job for other input."""
    done: int = 0
    result: bytes | None = None
    error: str | None = None
    finished: bool = False
    cancelled: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def fraction(self) -> float:
        """Progress between 0 and 1."""
        return min(1.0, self.done / self.total) if self.total else 0.0

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, counting each into ``done``; stops the work once cancelled."""
        for item in items:
            if self.cancelled:
                raise JobCancelled
            self.done += 1
            yield item

    def cancel(self) -> None:
        """Ask the worker to stop at its next item."""
        self.cancelled = True


def start_job(
    work: Callable[[BackgroundJob], bytes], *, total: int, key: Any = None, name: str = "job"
) -> BackgroundJob:
    """Run ``work(job)`` in a new daemon thread and return the job at once."""
    job = BackgroundJob(total=total, key=key)

    def run() -> None:
        try:
            job.result = work(job)
        except JobCancelled:
            pass
        except Exception as exc:  # shown to the user in Chinese; the details go to the log
            log.exception("background job %s failed", name)
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished = True

    job.thread = threading.Thread(target=run, name=f"minqing-{name}", daemon=True)
    job.thread.start()
    return job
