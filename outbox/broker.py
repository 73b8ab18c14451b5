"""The Redis transport, made to survive a broker restart under a running worker.

kombu 5.7's Redis transport kills the worker on every lost connection while it
holds unacknowledged messages: Celery's consumer first collects the dead
connection (which drops the transport's connection info) and then closes it;
closing the channel restores the unacknowledged messages, which needs a new
Redis pool, whose parameters are read from the dropped connection info. The
resulting AttributeError is not a connection error, so the consumer gives up
("Unrecoverable error") and the worker exits with status 0.

This subclass keeps the connection info, so the restore fails with an ordinary
connection error (the broker is down) that the consumer survives. The
messages it could not restore then are remembered and restored as soon as the
worker has reconnected, instead of waiting out the visibility timeout: they are
still in Redis's unacknowledged set, provided Redis keeps its data across a
restart (append-only file; see the README). A message whose task was still
running may so run twice; every task is idempotent by its claim.

`config/celery.py` registers it under the `redis` scheme. No Django import:
kombu loads it by name in web, worker and beat processes alike.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kombu.transport import redis

log = logging.getLogger(__name__)

# Delivery tags whose restore failed because the broker was unreachable, by
# the unacknowledged-hash key they live under; restored by the next channel.
_unrestored: dict[tuple[str, str], set[str]] = {}
_lock = threading.Lock()


def unrestored_count() -> int:
    with _lock:
        return sum(len(tags) for tags in _unrestored.values())


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> None:
        delivered: Any = self._delivered  # an OrderedDict of tag -> message once the channel is open
        tags = list(delivered)
        try:
            super().restore_unacked(client)
        except self.channel.connection_errors:
            key = (self.unacked_key, self.unacked_index_key)
            with _lock:
                _unrestored.setdefault(key, set()).update(str(t) for t in tags)
            delivered.clear()
            log.warning("broker unreachable: %d unacknowledged message(s) will be restored on reconnect", len(tags))
            raise


class Channel(redis.Channel):
    QoS = QoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # pings the broker: it is reachable from here on
        if self.ack_emulation:
            self._restore_remembered()

    def _restore_remembered(self) -> None:
        with _lock:
            pending = {key: tags for key, tags in _unrestored.items() if tags}
            _unrestored.clear()
        for (unacked_key, index_key), tags in pending.items():
            if (unacked_key, index_key) != (self.unacked_key, self.unacked_index_key):
                with _lock:
                    _unrestored.setdefault((unacked_key, index_key), set()).update(tags)
                continue
            restored = 0
            try:
                for tag in sorted(tags):
                    self.qos.restore_by_tag(tag)
                    restored += 1
            except self.connection_errors:
                with _lock:
                    _unrestored.setdefault((unacked_key, index_key), set()).update(sorted(tags)[restored:])
                raise
            log.warning("restored %d message(s) left unacknowledged by a lost broker connection", restored)


class Transport(redis.Transport):
    Channel = Channel

    @property  # type: ignore[override]
    def client(self) -> Any:
        return self._client

    @client.setter
    def client(self, value: Any) -> None:
        # kombu clears this when it collects a dead connection, before the
        # channel's close restores unacknowledged messages through it.
        if value is not None or not hasattr(self, "_client"):
            self._client = value
