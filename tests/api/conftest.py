"""A ledger filled the way an operator fills one, principals of every role, and the API.

The ledger: one simulated day at a small volume, replayed with the shipped policy and
recorded with ``sla-police ledger import``; plus the ``sla.dispute_filed`` /
``sla.dispute_ruled`` records the stream will keep for disputes (issue 11's contract),
for an open and a ruled dispute on real tickets. Tests only read it, so it is built once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import ApiSettings, create_app, departments_of
from api.principals import Role, add_principal
from ledger import Ledger
from ledger.queries import ticket_holders
from models import CloudEvent, parse_event
from models.examples import example
from sla.calendar import build_calendars
from sla.config import load_config
from sla_police.cli import app as cli
from sla_police.simulator import SimulationOptions, simulate

CONFIG_PATH = Path("deploy/config/sla-police.yaml")
CONFIG = load_config(CONFIG_PATH)
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
#: The two department principals: one whose tickets are read and disputed, one other.
HOME, OTHER = "logistics", "billing"
OPEN_DISPUTE, RULED_DISPUTE = "dispute-open-1", "dispute-ruled-1"
#: A dispute of HOME upheld to OTHER, with one reversal (of a penalty not in the ledger).
UPHELD_DISPUTE, UPHELD_REVERSAL = "dispute-upheld-1", "reversal-upheld-1"
#: An open corrective action of HOME (overdue at NOW), a reviewed one, and an open one of OTHER.
HOME_ACTION, REVIEWED_ACTION, OTHER_ACTION = "action-home-1", "action-home-2", "action-other-1"
#: An open audit item (a grant on HOME's ticket) and a closed one (on OTHER's).
OPEN_AUDIT, CLOSED_AUDIT = "audit-open-1", "audit-closed-1"
#: Calls: a caller blocked by the burst rule (active at NOW), one never blocked, a block
#: request of the contact center waiting for a lead, and one of a lead (``cc-head``).
BURST_CALLER, FREE_CALLER, ABUSIVE_CALLER = "c-burst", "c-free", "c-abusive"
PENDING_REQUEST, OWN_REQUEST = "req-pending-1", "req-own-1"
#: The QA queue: a norm breach of this week on FREE_CALLER's recorded call (open), and two
#: items of last week's sample on calls not recorded (one reviewed by ``qa-007``).
QA_BREACH, QA_SAMPLE, QA_REVIEWED = "qa-breach-1", "qa-sample-1", "qa-reviewed-1"
OLD_CALLER = "c-old"


@dataclass(frozen=True)
class Fixture:
    """The ledger and what the tests need to know about it."""

    database_url: str
    input_log: Path
    home_ticket: str       #: a ticket HOME holds now
    other_ticket: str      #: a ticket OTHER holds now and HOME never held
    period: str            #: a month with penalties
    burst_block: str       #: the id of BURST_CALLER's active block


class FakePublisher:
    """Keeps what the API published; ``fail`` makes it refuse like a broker that is down."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self.fail: str | None = None
        self.closed = False

    async def publish(self, event: CloudEvent) -> None:
        from api import PublishError

        if self.fail is not None:
            raise PublishError(self.fail)
        self.events.append(event)

    async def close(self) -> None:
        self.closed = True


def _dispute_records(home_ticket: str) -> list[str]:
    """JSONL of an open, a rejected and an upheld dispute of HOME on ``home_ticket``, and
    the reversal the upheld one caused."""
    lines = []
    for dispute_id in (OPEN_DISPUTE, RULED_DISPUTE, UPHELD_DISPUTE):
        filed = example("sla.dispute_filed")
        filed.update(id=f"filed-{dispute_id}", subject=home_ticket)
        filed["data"].update(dispute_id=dispute_id, department=HOME, holder=HOME)
        lines.append(json.dumps(filed))
    for dispute_id, outcome, to in ((RULED_DISPUTE, "rejected", None),
                                    (UPHELD_DISPUTE, "upheld", OTHER)):
        ruled = example("sla.dispute_ruled")
        ruled.update(id=f"ruled-{dispute_id}", subject=home_ticket)
        ruled["data"].update(dispute_id=dispute_id, department=HOME, outcome=outcome,
                             to_department=to)
        lines.append(json.dumps(ruled))
    reversal = example("penalty.reversed")
    reversal.update(id=UPHELD_REVERSAL, subject=home_ticket)
    reversal["data"].update(penalty_id="penalty-not-in-this-ledger", department=HOME,
                            dispute_id=UPHELD_DISPUTE)
    lines.append(json.dumps(reversal))
    return lines


def _action_records(home_ticket: str, other_ticket: str) -> list[str]:
    """JSONL of HOME's open and reviewed corrective actions and OTHER's open one."""
    lines = []
    for action_id, department, ticket in ((HOME_ACTION, HOME, home_ticket),
                                          (REVIEWED_ACTION, HOME, home_ticket),
                                          (OTHER_ACTION, OTHER, other_ticket)):
        for kind in ("corrective_action.opened", "sla.fix_declared",
                     "corrective_action.reviewed"):
            if kind != "corrective_action.opened" and action_id != REVIEWED_ACTION:
                continue
            record = example(kind)
            record.update(id=f"{kind}-{action_id}", subject=ticket)
            record["data"].update(action_id=action_id, department=department)
            if kind != "sla.fix_declared":
                record["data"].update(anchor_ticket=ticket)
            lines.append(json.dumps(record))
    return lines


def _audit_records(home_ticket: str, other_ticket: str) -> list[str]:
    """JSONL of an open audit item on HOME's ticket and a closed one on OTHER's."""
    lines = []
    for audit_id, ticket, day in ((OPEN_AUDIT, home_ticket, "20"),
                                  (CLOSED_AUDIT, other_ticket, "19")):
        kinds = ["audit.item_opened"] + (["audit.item_closed"] if audit_id == CLOSED_AUDIT
                                         else [])
        for kind in kinds:
            record = example(kind)
            record.update(id=f"{kind}-{audit_id}", subject=ticket)
            record["data"].update(audit_id=audit_id, grant_id=f"grant-{audit_id}")
            if kind == "audit.item_opened":
                record["data"].update(granted_at=f"2026-11-{day}T10:40:00+08:00")
            lines.append(json.dumps(record))
    return lines


def _open_clocks() -> list[str]:
    """Outputs of complaints still open at the end (the simulated day ends every ticket):
    two of HOME's, one paused, and one of OTHER's, so the worklist has rows."""
    from sla.replay import replay
    from sla.testing import complaint, paused

    story = [complaint("T-OPEN-1", "2026-11-24T09:00:00+08:00"),
             complaint("T-OPEN-2", "2026-11-24T10:00:00+08:00", priority="P2"),
             paused("T-OPEN-2", "2026-11-24T10:30:00+08:00"),
             complaint("T-OPEN-3", "2026-11-24T11:00:00+08:00", category="billing.wrong")]
    outputs = replay(story, CONFIG, until=datetime.fromisoformat("2026-11-24T12:00:00+08:00"))
    return [event.to_json() for event in outputs.outputs]


def _run(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output


def _calls_records() -> list[CloudEvent]:
    """A burst that the shipped policy's rule blocks two hours before NOW, an abusive call
    and two block requests on it (one by the contact center, one by a lead), replayed to NOW:
    the inputs and the outputs, as the ledger sink records them."""
    from datetime import timedelta

    from models.calls import BlockRequested, CallEnded
    from sla.calls_replay import replay_calls

    def call(n: int, caller: str, at: datetime, disposition: str) -> CloudEvent:
        return CallEnded(id=f"acd-{caller}-{n}", source="acd", time=at, subject=caller, data={
            "call_id": f"call-{caller}-{n}", "caller_ref": caller, "agent": "a-1",
            "team": "east", "started_at": at - timedelta(minutes=3), "duration_seconds": 180,
            "ended_by": "agent", "disposition": disposition, "warned": True})

    start = NOW - timedelta(hours=2)
    events = [call(n, BURST_CALLER, start + timedelta(minutes=n), "nuisance") for n in range(3)]
    events += [call(0, FREE_CALLER, start, "resolved"),
               call(0, ABUSIVE_CALLER, start, "abusive")]
    for request_id, by in ((PENDING_REQUEST, "cc-lead"), (OWN_REQUEST, "cc-head")):
        events.append(BlockRequested(
            id=request_id, source="sla-police/api", time=start + timedelta(minutes=30),
            subject=ABUSIVE_CALLER, data={
                "caller_ref": ABUSIVE_CALLER, "period": "week", "reason": "abusive again",
                "evidence": [f"call-{ABUSIVE_CALLER}-0"], "requested_by": by}))
    assert CONFIG.calls is not None
    result = replay_calls(events, CONFIG.calls, until=NOW)
    return [*result.inputs, *result.outputs, *_qa_records(start)]


def _qa_records(start: datetime) -> list[CloudEvent]:
    """``qa.item_opened`` of QA_BREACH (FREE_CALLER's call at ``start``), QA_SAMPLE and
    QA_REVIEWED (last week), and the ``qa.reviewed`` of QA_REVIEWED."""
    from datetime import timedelta

    from models.calls import QaItemOpened, QaReviewed

    def item(qa_id: str, call: str, caller: str, agent: str, team: str, ended: datetime,
             selected_by: str, norm: str | None) -> CloudEvent:
        week = f"{ended.isocalendar()[0]}-W{ended.isocalendar()[1]:02d}"
        return QaItemOpened(id=f"opened-{qa_id}", source="sla-police", time=ended,
                            subject=caller, data={
            "qa_id": qa_id, "call_id": call, "caller": caller, "agent": agent, "team": team,
            "week": week, "selected_by": selected_by, "norm": norm, "disposition": "resolved",
            "warned": False, "duration_seconds": 180,
            "started_at": ended - timedelta(minutes=3), "ended_at": ended})

    last_week = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)
    return [
        item(QA_BREACH, f"call-{FREE_CALLER}-0", FREE_CALLER, "a-1", "east", start,
             "norm_breach", "agent_may_not_end"),
        item(QA_SAMPLE, "call-old-1", OLD_CALLER, "a-1", "east", last_week, "sample", None),
        item(QA_REVIEWED, "call-old-2", OLD_CALLER, "a-2", "west",
             last_week + timedelta(days=1), "sample", None),
        QaReviewed(id="reviewed-qa-1", source="sla-police/api", time=NOW - timedelta(days=1),
                   subject=OLD_CALLER, data={"qa_id": QA_REVIEWED, "inspector": "qa-007",
                                             "verdict": "compliant", "note": "polite close"})]


def burst_block_id(url: str) -> str:
    """The id of BURST_CALLER's block."""
    from ledger.calls import block_of

    with open_ledger(url) as ledger:
        found = block_of(ledger.engine, BURST_CALLER, NOW)
    assert found is not None
    return found["block_id"]


@pytest.fixture(scope="session")
def ledger_fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    root = tmp_path_factory.mktemp("api-ledger")
    log, out, extra = root / "events.jsonl", root / "out.jsonl", root / "disputes.jsonl"
    # no simulated concessions: the audit queue holds the two items made below, no others
    options = SimulationOptions(days=1, seed=11, calls_per_day=300, dispute_rate=0.05,
                                invalid_rate=0.0, concession_rate=0.0)
    log.write_text("".join(line if line.endswith("\n") else line + "\n"
                           for line in simulate(options)), encoding="utf-8")
    url = f"sqlite:///{root / 'ledger.db'}"
    _run(["replay", str(log), "-c", str(CONFIG_PATH), "-o", str(out), "--workers", "1"])
    _run(["ledger", "import", str(out), "--database-url", url])
    home, other = _tickets(url)
    extra.write_text("\n".join([*_dispute_records(home), *_open_clocks(),
                                *_action_records(home, other),
                                *_audit_records(home, other)]) + "\n", encoding="utf-8")
    _run(["ledger", "import", str(extra), "--database-url", url])
    with open_ledger(url) as ledger:
        ledger.record_calls(_calls_records())
    period = next(json.loads(line)["data"]["period"] for line in out.read_text().splitlines()
                  if '"penalty.assessed"' in line)
    return Fixture(url, log, home, other, period, burst_block_id(url))


def _tickets(url: str) -> tuple[str, str]:
    """A ticket HOME holds with a penalty, and one OTHER holds that HOME never held."""
    from sqlalchemy import select

    from ledger.tables import Penalty

    with open_ledger(url) as ledger:
        penalised = ledger.engine.connect().execute(
            select(Penalty.ticket, Penalty.department).order_by(Penalty.id)).all()
        found: dict[str, str] = {}
        for ticket, department in penalised:
            holders = [h.department for h in ticket_holders(ledger.engine, ticket)]
            if department == HOME and holders[-1] == HOME:
                found.setdefault(HOME, ticket)
            if department == OTHER and holders[-1] == OTHER and HOME not in holders:
                found.setdefault(OTHER, ticket)
    return found[HOME], found[OTHER]



def open_ledger(url: str) -> Ledger:
    """The test ledger, its months counted in the policy's timezone."""
    return Ledger(url, timezone=CONFIG.timezone)


@dataclass(frozen=True)
class Principals:
    path: Path
    tokens: dict[str, str]  #: principal name -> token


#: Principal name -> (role, department): one per role, two departments.
PRINCIPALS: dict[str, tuple[Role, str | None]] = {
    "logistics-desk": (Role.DEPARTMENT, HOME),
    "billing-desk": (Role.DEPARTMENT, OTHER),
    "hr-payroll": (Role.HR, None),
    "ceo": (Role.EXECUTIVE, None),
    "cc-lead": (Role.CONTACT_CENTER, None),
    "cc-head": (Role.CONTACT_CENTER_LEAD, None),
    "cc-head-2": (Role.CONTACT_CENTER_LEAD, None),
    "ivr-1": (Role.IVR, None),
    "ops-admin": (Role.ADMIN, None),
    "qa-auditor": (Role.AUDITOR, None),
}


@pytest.fixture(scope="session")
def principals(tmp_path_factory: pytest.TempPathFactory) -> Principals:
    path = tmp_path_factory.mktemp("principals") / "principals.yaml"
    tokens = {name: add_principal(path, name, role, department, NOW)[1]
              for name, (role, department) in PRINCIPALS.items()}
    return Principals(path, tokens)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def client(ledger_fixture: Fixture, principals: Principals,
           publisher: FakePublisher) -> Iterator[TestClient]:
    settings = ApiSettings(database_url=ledger_fixture.database_url,
                           principals_path=principals.path, publisher=publisher,
                           departments=departments_of(CONFIG), timezone=CONFIG.timezone,
                           clock=lambda: NOW,
                           dispute_deadline=CONFIG.dispute_deadline,
                           calendars=build_calendars(CONFIG.calendars),
                           currency=CONFIG.currency, authority=CONFIG.authority,
                           calls=CONFIG.calls)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def bearer(principals: Principals, name: str) -> dict[str, str]:
    """The Authorization header of principal ``name``."""
    return {"Authorization": f"Bearer {principals.tokens[name]}"}


def parsed(event: CloudEvent) -> CloudEvent:
    """``event`` read back from its JSON as the stream would (it must pass the contract)."""
    back = parse_event(event.to_json(), accept="inbound", now=NOW)
    assert isinstance(back, CloudEvent), back
    return back


#: GET endpoints whose bodies are searched for customer references.
CALLS_FOR_LEAK_CHECK = (
    "/api/v1/penalties?limit=1000",
    "/api/v1/reports/penalties?period={period}",
    "/api/v1/reports/breaches?period={period}",
    "/api/v1/reports/scorecard?month={period}",
    "/api/v1/payroll/{period}.csv?detail=true&by=employee",
    "/api/v1/tickets/{home}",
    "/api/v1/disputes",
    f"/api/v1/disputes/{UPHELD_DISPUTE}",
    "/api/v1/me",
    "/api/v1/principals",
    "/api/v1/blocks",
    f"/api/v1/callers/{BURST_CALLER}/block",
    "/api/v1/qa-items",
    "/api/v1/reports/qa?from=2026-11-01&to=2026-11-30",
    "/api/v1/reports/calls?change=2026-11-25&window=30d",
)
