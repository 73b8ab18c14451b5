"""The in-process relay: publishes committed outbox rows off the request thread.

One daemon thread per process (started on first use, and again after a fork)
takes the ids that `enqueue` hands over on commit and publishes them. When the
broker refuses or hangs, the thread keeps the ids and retries them with
backoff (1, 2, 4, 8, 10, 10 ... seconds) while the request that wrote them has
long returned. Nothing is lost if the process exits: the rows stay unsent in
the database and beat's `flush_outbox` publishes them.
"""

from __future__ import annotations

import logging
import os
import queue
import threading

from django.db import connection

log = logging.getLogger(__name__)

RETRY_FIRST = 1.0  # seconds
RETRY_MAX = 10.0
# Past this many held ids the oldest are left to the flush, so an outage cannot grow the thread's memory.
MAX_PENDING = 1000


class Relay:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, pk: int) -> None:
        """Hand a committed row to the thread; never blocks."""
        with self._lock:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._pid = os.getpid()
                self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._run, args=(self._queue,), name="outbox-relay", daemon=True)
                self._thread.start()
            self._queue.put(pk)

    def _run(self, inbox: queue.SimpleQueue[int]) -> None:
        pending: list[int] = []
        delay = RETRY_FIRST
        while True:
            try:
                pending.append(inbox.get(timeout=delay if pending else None))
                while True:
                    pending.append(inbox.get_nowait())
            except queue.Empty:
                pass
            pending = pending[-MAX_PENDING:]
            try:
                pending = self._pass(pending)
            except Exception:  # the database is away: keep the ids and try again
                log.exception("outbox relay: pass failed")
            finally:
                connection.close()  # this thread's own connection: never hold one between passes
            delay = min(delay * 2, RETRY_MAX) if pending else RETRY_FIRST

    @staticmethod
    def _pass(pending: list[int]) -> list[int]:
        from outbox.services import publish, unsent

        publish(pending)
        left = unsent(pending)
        return [pk for pk in pending if pk in left]


relay = Relay()
