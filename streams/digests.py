"""Hold notifications for their digest, and send each digest when it is due.

:func:`sla.delivery.due_at` decides (pure); this module keeps what waits. Each held
notification is one row of the Faust table ``sla-notifier-held``, keyed
``<department>|<due, UTC ISO>|<event id>``, its value ``<partition>|<the event's JSON>``.
One row per notification keeps each changelog record small (a department's pending digest
is never rewritten whole), and the rows of a department and due instant are one digest.

- The ``sla-notifier`` agent writes a row from within stream processing, so Faust writes
  the changelog record to the partition of the notification it read; the offset of that
  notification is committed only after the producer flushed the record (Faust flushes before
  every commit). A held notification is therefore on the broker before Kafka forgets it.
- A timer (every :data:`TICK` seconds, once the tables are recovered) sends the digests of
  this worker's active partitions that are due, then deletes their rows (tombstones to the
  same partitions). A bot gets one message (:func:`sla.messages.digest_text`, in the
  department's language); a Standard Webhooks receiver gets each CloudEvent as usual.

On a restart the table is recovered from its changelog and the timer sends whatever is due,
so a held item is never lost; an item whose digest was sent but whose row was not yet
deleted (a crash in between) is sent again: at least once, like every webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from models import CloudEvent, parse_event
from sla.delivery import due_at
from sla.messages import digest_text
from sla.specs import DepartmentSpec

__all__ = ["TICK", "DigestHolder", "HeldStore", "TableStore", "held_key", "send_due"]

logger = logging.getLogger("sla_police.streams.digests")

TICK = 30.0  #: seconds between two looks for due digests


class HeldStore(Protocol):
    """Where held notifications live: a Faust table (:class:`TableStore`) or a dict."""

    def put(self, key: bytes, value: bytes) -> None: ...

    def delete(self, key: bytes, partition: int) -> None: ...

    def items(self) -> Iterable[tuple[bytes, bytes]]: ...


class TableStore:
    """A bytes Faust table as a :class:`HeldStore`. ``put`` runs inside stream processing
    (Faust picks the partition of the message being processed); ``delete`` runs in the
    timer, outside it, so it writes the tombstone to the row's own partition itself."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def put(self, key: bytes, value: bytes) -> None:
        self.table[key] = value

    def delete(self, key: bytes, partition: int) -> None:
        self.table.data.pop(key, None)
        self.table.send_changelog(partition, key, None)

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return list(self.table.data.items())


def held_key(department: str, due: datetime, event_id: str) -> bytes:
    return f"{department}|{due.astimezone(UTC).isoformat()}|{event_id}".encode()


class DigestHolder:
    """Routes notifications (send now, or hold) and pops the digests that are due."""

    def __init__(self, store: HeldStore, departments: Mapping[str, DepartmentSpec],
                 calendars: Mapping[str, Any]) -> None:
        self.store, self.departments, self.calendars = store, departments, calendars

    def hold(self, event: CloudEvent, partition: int, now: datetime) -> bool:
        """Hold ``event`` for its digest (True), or leave it to be sent now (False)."""
        spec = self.departments.get(event.data.department)
        if spec is None or spec.delivery is None:
            return False
        due = due_at(event.data.severity, event.time, now, spec.delivery,
                     self.calendars[spec.calendar])
        if due is None:
            return False
        self.store.put(held_key(spec.id, due, event.id),
                       f"{partition}|".encode() + event.to_json_bytes())
        return True

    def due(self, now: datetime, partitions: set[int] | None = None
            ) -> Iterator[tuple[str, list[CloudEvent], list[tuple[bytes, int]]]]:
        """``(department, events, rows)`` of each digest due by ``now`` (of ``partitions``
        only, when given), oldest first; delete ``rows`` with :meth:`done` once sent."""
        groups: dict[tuple[str, str], list[tuple[bytes, int, bytes]]] = {}
        for key, value in self.store.items():
            department, due, _ = key.decode().split("|", 2)
            partition, raw = value.split(b"|", 1)
            if (datetime.fromisoformat(due) <= now
                    and (partitions is None or int(partition) in partitions)):
                groups.setdefault((due, department), []).append((key, int(partition), raw))
        for (_, department), rows in sorted(groups.items()):
            events = [parse_event(raw, accept="any") for _, _, raw in rows]
            good = [e for e in events if isinstance(e, CloudEvent)]
            good.sort(key=lambda e: (e.time, e.id))
            yield department, good, [(key, partition) for key, partition, _ in rows]

    def done(self, rows: Iterable[tuple[bytes, int]]) -> None:
        for key, partition in rows:
            self.store.delete(key, partition)

    def words(self, department: str, events: list[CloudEvent]) -> tuple[str, str]:
        """(title, body) of the digest of ``events`` in the department's language."""
        spec = self.departments.get(department)
        language, name = (spec.language, spec.name) if spec else ("en", department)
        return digest_text(language, name, [(e.data.severity, e.data.title) for e in events])


async def send_due(holder: DigestHolder, notifier: Any, now: datetime,
                   partitions: set[int] | None = None) -> int:
    """Send every digest due by ``now`` through ``notifier`` (a
    :class:`streams.notifier.WebhookNotifier`), then forget its rows (delivered or failed:
    a failure is counted and logged, like any notification's); returns how many
    notifications went out."""
    sent = 0
    for department, events, rows in list(holder.due(now, partitions)):
        if events:
            await notifier.deliver_digest(department, events, holder.words(department, events))
        holder.done(rows)
        sent += len(events)
    return sent
