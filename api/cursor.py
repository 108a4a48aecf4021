"""Opaque page cursors of the penalty feed.

A cursor names the last row of a page, ``(assessed_at, id)``, as base64url of a small JSON
array. Clients pass it back untouched; its content is not part of the contract and may
change. Anything that does not decode to such a pair is refused (422 on ``cursor``).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

__all__ = ["CursorError", "decode_cursor", "encode_cursor"]

_VERSION = 1


class CursorError(ValueError):
    """A cursor that this API did not make."""


def encode_cursor(assessed_at: datetime, row_id: str) -> str:
    """The cursor of the page that starts after the row ``(assessed_at, row_id)``."""
    raw = json.dumps([_VERSION, assessed_at.isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """``(assessed_at, id)`` of a cursor made by :func:`encode_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, at, row_id = json.loads(raw)
        when = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise CursorError("not a cursor of this feed: pass next_cursor back unchanged") from None
    if version != _VERSION or not isinstance(row_id, str) or when.tzinfo is None:
        raise CursorError("not a cursor of this feed: pass next_cursor back unchanged")
    return when, row_id
