"""The production broker: kombu's Redis transport, with one defect of kombu 5.7 worked around.

When Redis goes away, the worker closes its channel, and the channel puts back the messages it
holds unacknowledged (stability checks waiting on their countdown, a scoring in progress). With
the connection already gone, kombu looks up the connection's parameters on a client it has
dropped and raises AttributeError; Celery takes that as unrecoverable and the worker exits, so a
Redis restart took the workers down with it. Nothing needs putting back at that moment: Redis
itself keeps every delivered message in its unacknowledged set until it is acknowledged, and any
worker hands it out again after the visibility timeout. So the failed put-back is logged and the
worker goes on to reconnect.

The same lookup fails when a task finishes while Redis is away and its message is acknowledged
(or rejected) on the dead connection. That acknowledgement is lost: the message stays in Redis's
unacknowledged set and is handed out again after the visibility timeout, so the task runs once
more. Every task here is safe to run twice (scoring and pool scoring check what is stored, a
batch choice checks the free slots under a lock), so the lost acknowledgement is logged and the
worker goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> Any:
        try:
            return super().restore_unacked(client)
        except AttributeError:
            logger.warning(
                "unacked_not_restored count=%s (broker connection gone; Redis hands them out "
                "again after the visibility timeout)",
                len(self._delivered),
            )
            self._delivered.clear()
            return []

    def ack(self, delivery_tag: Any) -> None:
        try:
            super().ack(delivery_tag)
        except AttributeError:
            self._forget(delivery_tag, "ack")

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        try:
            super().reject(delivery_tag, requeue=requeue)
        except AttributeError:
            self._forget(delivery_tag, "reject")

    def _forget(self, delivery_tag: Any, what: str) -> None:
        logger.warning(
            "%s_lost (broker connection gone; Redis hands the message out again after the "
            "visibility timeout)",
            what,
        )
        # The virtual QoS's bookkeeping only: no Redis call.
        redis.virtual.QoS.ack(self, delivery_tag)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
