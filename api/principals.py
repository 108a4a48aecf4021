"""Principals: who may call the API, with which role, proven by a bearer token.

A token is ``slap_`` followed by 43 characters of :func:`secrets.token_urlsafe` (256 bits
of entropy). The principals file keeps only its SHA-256: a fast hash is enough for a
random 256-bit secret (there is no dictionary to try), and it lets a request find its
principal without a slow KDF on every call. Hashes are compared with
:func:`hmac.compare_digest`, against every principal, so the time taken says nothing about
which one (if any) matched.

The file is YAML (JSON is YAML too, so either can be read), written atomically with mode
0600::

    version: 1
    principals:
    - name: logistics-desk
      role: department
      department: logistics
      token_sha256: 5d41402abc4b2a76b9719d911017c592...
      created_at: '2026-11-20T02:15:00+00:00'

:class:`PrincipalRegistry` re-reads the file when it changes, so a token created or revoked
with the CLI takes effect on the next request without restarting the API.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "TOKEN_PREFIX",
    "Principal",
    "PrincipalError",
    "PrincipalRegistry",
    "Role",
    "add_principal",
    "hash_token",
    "new_token",
    "read_principals",
    "remove_principal",
    "write_principals",
]

TOKEN_PREFIX = "slap_"
_FILE_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


class Role(StrEnum):
    """What a principal may do (docs/api.md has the full table)."""

    DEPARTMENT = "department"          #: one department: reads and disputes its own
    HR = "hr"                          #: penalties and reports of every department
    EXECUTIVE = "executive"            #: reads everything, changes nothing
    CONTACT_CENTER = "contact_center"  #: reads everything, rules disputes, requests blocks
    #: the contact center's lead: what the contact center does, and decides and lifts blocks
    CONTACT_CENTER_LEAD = "contact_center_lead"
    IVR = "ivr"                        #: asks whether a caller is blocked, nothing else
    ADMIN = "admin"                    #: manages principals, reads no business data
    #: quality auditors: the audit queue and QA queue, verdicts; the authority and QA reports
    AUDITOR = "auditor"


class PrincipalError(ValueError):
    """The principals file, or a principal asked for, is not valid (the message says why)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """One holder of a token. ``department`` is set for (and only for) the department role."""

    name: str
    role: Role
    department: str | None
    token_sha256: str
    created_at: str

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise PrincipalError(f"principal name {self.name!r}: use 1-100 letters, digits, "
                                 "'.', '_', '@' or '-', starting with a letter or digit")
        if (self.role is Role.DEPARTMENT) != (self.department is not None):
            raise PrincipalError(f"principal {self.name!r}: a department is required for the "
                                 "department role and refused for the others")
        if not _HASH.match(self.token_sha256):
            raise PrincipalError(f"principal {self.name!r}: token_sha256 is not a SHA-256 hex")


def new_token() -> str:
    """A fresh bearer token: the recognisable prefix and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hex SHA-256 of ``token``: what the principals file keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _principal(entry: Any, index: int) -> Principal:
    if not isinstance(entry, dict):
        raise PrincipalError(f"principals[{index}] is not a mapping")
    try:
        return Principal(name=str(entry["name"]), role=Role(entry["role"]),
                         department=entry.get("department"),
                         token_sha256=str(entry["token_sha256"]),
                         created_at=str(entry.get("created_at", "")))
    except KeyError as exc:
        raise PrincipalError(f"principals[{index}] lacks {exc.args[0]!r}") from None
    except ValueError as exc:
        raise PrincipalError(f"principals[{index}]: {exc}") from None


def read_principals(path: Path) -> list[Principal]:
    """The principals in the file at ``path``; an absent file holds none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise PrincipalError(f"cannot read {path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PrincipalError(f"{path} is not YAML or JSON: {exc}") from None
    entries = document.get("principals") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise PrincipalError(f"{path} has no 'principals' list")
    principals = [_principal(entry, i) for i, entry in enumerate(entries)]
    names = [p.name for p in principals]
    if len(set(names)) != len(names):
        raise PrincipalError(f"{path} names a principal twice")
    return principals


def write_principals(path: Path, principals: list[Principal]) -> None:
    """Replace the file at ``path`` atomically (temporary file + rename), mode 0600."""
    document = {"version": _FILE_VERSION, "principals": [
        {k: (str(v) if k == "role" else v) for k, v in asdict(p).items()
         if v is not None or k != "department"}
        for p in sorted(principals, key=lambda p: p.name)]}
    text = ("# SLA Police API principals: token hashes only, managed with "
            "`sla-police api token`.\n" + yaml.safe_dump(document, sort_keys=False,
                                                           allow_unicode=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_principal(path: Path, name: str, role: Role, department: str | None,
                  now: datetime) -> tuple[Principal, str]:
    """Create principal ``name`` with a new token; return it and the token (shown once)."""
    principals = read_principals(path)
    if any(p.name == name for p in principals):
        raise PrincipalError(f"principal {name!r} exists: revoke it first to issue a new token")
    token = new_token()
    principal = Principal(name, role, department, hash_token(token), now.isoformat())
    write_principals(path, [*principals, principal])
    return principal, token


def remove_principal(path: Path, name: str) -> Principal:
    """Remove principal ``name`` (its token stops working); return what was removed."""
    principals = read_principals(path)
    kept = [p for p in principals if p.name != name]
    if len(kept) == len(principals):
        raise PrincipalError(f"no principal named {name!r} in {path}")
    write_principals(path, kept)
    return next(p for p in principals if p.name == name)


class PrincipalRegistry:
    """The principals of one file, re-read whenever the file changes (size, mtime, inode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._principals: list[Principal] = []

    def principals(self) -> list[Principal]:
        """The current principals (the file is re-read if it changed since last time)."""
        try:
            info = os.stat(self.path)
            stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        with self._lock:
            if stamp != self._stamp:
                self._principals = read_principals(self.path)
                self._stamp = stamp
            return self._principals

    def authenticate(self, token: str) -> Principal | None:
        """The principal whose token this is, or ``None``; constant time in which one."""
        digest = hash_token(token).encode("ascii")
        found = None
        for principal in self.principals():
            if hmac.compare_digest(digest, principal.token_sha256.encode("ascii")):
                found = principal
        return found
