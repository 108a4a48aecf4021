"""``make test``'s two xdist groups really form (``tests/conftest.py``).

pytest-xdist's ``--dist loadgroup`` tells the scheduler a test's group by appending
``@<group>`` to its node id in the worker. With pytest 9.2.0 that assignment no longer takes
(pytest-dev/pytest-xdist#1386): nothing fails, every test becomes a group of its own and
the live tier runs on both workers at once, against what the suite relies on. It went
unseen for a day; this test makes it loud. Without ``-n``/``loadgroup`` there are no
groups to check.
"""

from __future__ import annotations

import pytest


def test_this_test_runs_in_the_pure_group(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with pytest -n N --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@pure"), (
        f"xdist did not group {request.node.nodeid!r}: see pytest-dev/pytest-xdist#1386 "
        "(pinned pytest in constraints.txt)")


@pytest.mark.integration
def test_an_integration_test_runs_in_the_live_group(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with pytest -n N --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@live"), (
        f"xdist did not group {request.node.nodeid!r}: see pytest-dev/pytest-xdist#1386")
