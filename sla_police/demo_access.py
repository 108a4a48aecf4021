"""``sla-police up --demo``: principals to try the API with, and where to sign in.

Each demo run writes a fresh principals file under the data directory (its own file, so a
real ``principals.yaml`` is never touched) with one principal per kind of user: an
executive, HR, the contact center, its lead (who decides and lifts caller blocks), the IVR
(which only asks whether a caller is blocked) and one department of the simulated traffic. Their
tokens exist only in the console the demo prints them to; the file keeps their hashes,
and the next demo run replaces them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from api.page import signin_link
from api.principals import Principal, Role, hash_token, new_token, write_principals

__all__ = ["DEMO_PRINCIPALS_FILE", "DemoPrincipal", "demo_department", "signin_link",
           "write_demo_principals"]

DEMO_PRINCIPALS_FILE = "demo-principals.yaml"


@dataclass(frozen=True, slots=True)
class DemoPrincipal:
    """A principal of the demo with its token (printed once, never written anywhere)."""

    name: str
    role: Role
    department: str | None
    token: str


def demo_department(policy_departments: Iterable[str]) -> str:
    """The department the demo's department principal belongs to: the first department of
    the simulated traffic (logistics gets the most complaints) that the policy knows."""
    from sla_police.simulator import DEPARTMENTS

    known = list(policy_departments)
    return next((d for d in DEPARTMENTS if d in known), known[0])


def write_demo_principals(path: Path, policy_departments: Iterable[str],
                          now: datetime) -> list[DemoPrincipal]:
    """Replace the file at ``path`` with the demo's principals; return them with tokens."""
    department = demo_department(policy_departments)
    wanted = [("demo-executive", Role.EXECUTIVE, None), ("demo-hr", Role.HR, None),
              ("demo-contact-center", Role.CONTACT_CENTER, None),
              ("demo-cc-lead", Role.CONTACT_CENTER_LEAD, None),
              ("demo-auditor", Role.AUDITOR, None), ("demo-ivr", Role.IVR, None),
              (f"demo-{department}", Role.DEPARTMENT, department)]
    made = [DemoPrincipal(name, role, dept, new_token()) for name, role, dept in wanted]
    write_principals(path, [Principal(p.name, p.role, p.department, hash_token(p.token),
                                      now.isoformat()) for p in made])
    return made

