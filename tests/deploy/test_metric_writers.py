"""Every metric docs/operations.md documents has a writer in the code the worker runs.

A metric that only tests set is a dashboard panel that is always empty in production (that is
how ``sla_open_clocks`` went unnoticed). The rule checked here, statically:

* the metrics reference of docs/operations.md (its tables of ``sla_*`` metrics) names
  exactly the metrics registered in ``streams.metrics.REGISTRY``, with the same types;
* for each one, some module reachable by imports from ``sla_police.worker`` (imports inside
  functions included, since the worker adds its ledger sink and notifier lazily), other than
  ``streams.metrics`` itself and the test helpers of ``streams.testing``, refers to the metric
  object (``metrics.OPEN_CLOCKS``) or to a helper of ``streams.metrics`` that updates it
  (``metrics.observe_outcome`` -> ``OUTCOMES``, ...).

The live test (tests/deploy/test_prometheus_live.py) checks the stronger half: a real worker
fed through the real broker exposes each of them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

from streams import metrics
from tests.deploy.conftest import ROOT

__all__ = ["documented_metrics", "worker_modules"]

_ROW = re.compile(r"^\| `(sla_[a-z0-9_]+)` \| (counter|gauge|histogram) \|")
_OURS = ("streams", "sla_police", "sla", "models", "ledger", "api")
_NOT_WRITERS = {"streams.metrics", "streams.testing"}


def documented_metrics() -> dict[str, str]:
    """Exposed name -> type of every row of the metrics reference in docs/operations.md."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("\n## Metrics\n", 1)[1].split("\n### Recording rules\n", 1)[0]
    return {m.group(1): m.group(2) for line in section.splitlines() if (m := _ROW.match(line))}


def registered_metrics() -> dict[str, tuple[str, str]]:
    """Exposed name -> (attribute of streams.metrics, type) of every metric object."""
    kinds = {Counter: "counter", Gauge: "gauge", Histogram: "histogram"}
    found = {}
    for attribute, value in vars(metrics).items():
        kind = kinds.get(type(value))
        if kind is not None:
            (family,) = value.describe()
            exposed = f"{family.name}_total" if kind == "counter" else family.name
            found[exposed] = (attribute, kind)
    return found


def _module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _imports(name: str, tree: ast.Module) -> set[str]:
    """Our modules ``tree`` imports anywhere (``from a import b`` may name module a.b)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in found if m.split(".")[0] in _OURS and _module_path(m) and m != name}


def worker_modules(root: str = "sla_police.worker") -> dict[str, ast.Module]:
    """Every module of ours reachable by imports from ``root``, parsed."""
    seen: dict[str, ast.Module] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_path(name)
        assert path is not None, name
        seen[name] = ast.parse(path.read_text(encoding="utf-8"))
        parts = name.split(".")
        parents = {".".join(parts[:n]) for n in range(1, len(parts))}
        todo += sorted((_imports(name, seen[name]) | parents) - set(seen))
    return seen


def _helpers_writing(attribute: str) -> set[str]:
    """Functions of streams.metrics that update ``attribute``, directly or via another."""
    tree = ast.parse(Path(metrics.__file__).read_text(encoding="utf-8"))
    uses = {node.name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            for node in tree.body if isinstance(node, ast.FunctionDef)}
    writers = {attribute}
    while True:
        more = {function for function, names in uses.items() if names & writers}
        if more <= writers:
            return writers
        writers |= more


def _metrics_names_used(tree: ast.Module) -> set[str]:
    """Names of streams.metrics a module uses: ``metrics.X`` or ``from streams.metrics
    import X``."""
    used: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "metrics"):
            used.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module == "streams.metrics":
            used |= {alias.name for alias in node.names}
    return used


def test_the_metrics_reference_lists_exactly_the_registered_metrics() -> None:
    documented = documented_metrics()
    registered = {name: kind for name, (_, kind) in registered_metrics().items()}
    assert len(documented) >= 20, "the metrics reference of docs/operations.md was not found"
    assert documented == registered


def test_every_documented_metric_has_a_production_writer() -> None:
    modules = worker_modules()
    assert {"streams.pipeline", "streams.ticket_stage", "streams.ledger_sink",
            "streams.notifier"} <= set(modules)
    used = {name: _metrics_names_used(tree) for name, tree in modules.items()
            if name not in _NOT_WRITERS}
    registered = registered_metrics()
    missing = []
    for name in documented_metrics():
        attribute, _ = registered[name]
        writers = _helpers_writing(attribute)
        if not any(names & writers for names in used.values()):
            missing.append(f"{name} ({attribute}; helpers {sorted(writers - {attribute})})")
    assert missing == [], "documented metrics no module of the worker writes: " + ", ".join(
        missing)


def test_the_check_sees_a_metric_written_only_through_a_helper() -> None:
    """The transitive rule is what lets observe_outcome count EVENTS_REJECTED."""
    assert {"observe_rejection", "observe_outcome"} <= _helpers_writing("EVENTS_REJECTED")
    assert "render" not in _helpers_writing("OUTCOMES")
