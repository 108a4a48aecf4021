"""The ledger sink reads every topic an outbound type the ledger keeps travels on, and
passes every outbound type to the ledger (the disputes and settled charges of HR included)."""

from __future__ import annotations

import json

from models import OUTBOUND_TYPES
from models.examples import example
from models.topics import ALERTS, NOTIFICATIONS, OUTBOUND_ROUTES
from streams.ledger_sink import LEDGER_TOPICS, NOT_KEPT, parse_values


def test_every_kept_outbound_type_is_read_where_it_is_first_published() -> None:
    for event_type, routes in OUTBOUND_ROUTES.items():
        if event_type not in NOT_KEPT:
            assert routes[0][0] in LEDGER_TOPICS, event_type
    assert ALERTS not in LEDGER_TOPICS and NOTIFICATIONS not in LEDGER_TOPICS


def test_the_kept_types_hr_events_included_reach_the_ledger_and_nothing_else() -> None:
    kept = sorted(set(OUTBOUND_TYPES) - NOT_KEPT)
    values = [json.dumps(example(event_type)).encode() for event_type in kept]

    events = parse_values([*values, b"not json", json.dumps(example("ticket.closed")).encode()])

    assert [event.type for event in events] == kept
    assert {"sla.dispute_filed", "sla.dispute_ruled", "sla.charge_settled"} <= set(kept)


async def test_the_sink_hands_calls_outputs_and_inputs_to_record_calls(tmp_path) -> None:
    """The calls outputs (blocks, QA items) and the ``calls`` topic's own values (call
    records, verdicts; ticks and invalid lines left out) reach the ledger: the IVR's
    question is answered from them, and a second delivery adds nothing."""
    from sqlalchemy import func, select

    from ledger import Ledger
    from ledger.calls import block_of
    from ledger.tables import BlockHistory, QaItem
    from streams.ledger_sink import LedgerSink
    from tests.integration.calls_log import calls_log, expected_calls

    lines = calls_log()
    result, until = expected_calls(lines)
    outputs = [e.to_json().encode() for e in result.outputs if e.type != "event.rejected"]
    sink = LedgerSink(Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", timezone="Asia/Shanghai"))
    engine = sink.writer.engine

    def counts() -> tuple[int, int, int]:
        with engine.connect() as conn:
            return (conn.execute(select(func.count()).select_from(BlockHistory)).scalar(),
                    conn.execute(select(func.count()).select_from(QaItem)).scalar(),
                    conn.execute(select(func.count()).select_from(QaItem)
                                 .where(QaItem.verdict.is_not(None))).scalar())

    await sink.migrate()
    await sink.record(outputs, [b"", *lines])
    first = counts()
    await sink.record(outputs, lines)
    assert counts() == first  # a second delivery adds nothing
    assert block_of(engine, "nuisance-4", until)["period"] == "permanent"
    assert block_of(engine, "nuisance-5", until) is None  # lifted
    await sink.close()
    kinds = [e.type for e in result.outputs]
    verdicts = {e.data.qa_id for e in result.inputs if e.type == "qa.reviewed"}
    assert first[0] == kinds.count("caller.blocked") + kinds.count("caller.unblocked")
    assert first[1] == len({e.data.qa_id for e in result.outputs
                            if e.type == "qa.item_opened"} | verdicts)
    assert first[2] == len(verdicts)
