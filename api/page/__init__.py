"""The status page at ``/`` of the API service (issue 12): server-rendered HTML for
people, on the same ledger queries and role rules as the JSON API.

- :mod:`api.page.routes`: ``/``, ``/signin``, ``/signout`` and the two static files;
- :mod:`api.page.forms`: the forms (disputes, rulings, fixes, audit verdicts, block
  decisions and lifts) and payroll downloads;
- :mod:`api.page.session`: the session and language cookies;
- :mod:`api.page.view`: what a principal's page shows, from the ledger;
- :mod:`api.page.closest`: the plug for the "closest to breach" section;
- :mod:`api.page.scorecard`: the scorecard section and its cache;
- :mod:`api.page.authority`: the agent-authority and audit-queue sections (issue 14);
- :mod:`api.page.calls`: the calls section: blocks, block requests, the calls report
  (issue 15);
- :mod:`api.page.i18n`: English and Chinese.

:func:`signin_link` is the URL ``make run`` prints: the token rides in the fragment, which
browsers never send to a server (so never into an access log); the sign-in page's script
posts it.
"""

from __future__ import annotations

from urllib.parse import quote

from api.page.closest import ClosestClock, ClosestToBreach
from api.page.routes import router
from api.page.scorecard import ScorecardCache, ScorecardData, ledger_scorecards

__all__ = ["ClosestClock", "ClosestToBreach", "ScorecardCache", "ScorecardData",
           "ledger_scorecards", "router", "signin_link"]


def signin_link(base_url: str, token: str) -> str:
    """The URL that signs ``token``'s principal in to the status page at ``base_url``
    (e.g. ``http://127.0.0.1:8080``): ``<base>/signin#token=<token>``."""
    return f"{base_url.rstrip('/')}/signin#token={quote(token, safe='')}"
