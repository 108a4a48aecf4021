"""The start-up check: every faust/aiokafka internal a patch touches is there, as assumed.

Each patch module lists what it relies on as :class:`Requirement` values (``REQUIRES``).
A requirement names one internal (``faust.transport.producer.ProducerBuffer._send_pending``)
and checks its shape without a broker: the attribute exists, is callable, is a coroutine
function, has the expected parameters, the class derives from the expected base, or an
instance attribute is still assigned (or read) by the upstream method named. The last
check reads the names the method's byte code uses, so it holds for attributes that exist
only on built objects (``Consumer._read_offset`` is set in ``Consumer.__init__``).

:func:`verify` raises :class:`FrameworkMismatch` listing every failed requirement and the
installed faust-streaming and aiokafka versions: a worker on a framework the patches were
not written for refuses to start instead of running with a patch that silently does
nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from types import CodeType, ModuleType

__all__ = [
    "FrameworkMismatch",
    "Requirement",
    "assigns",
    "framework_versions",
    "method",
    "prop",
    "subclass",
    "uses",
    "verify",
]

#: The distributions whose internals the patches touch, as pip names them.
FRAMEWORK = ("faust-streaming", "aiokafka", "mode-streaming")


class FrameworkMismatch(RuntimeError):
    """An internal a patch relies on is missing or changed shape (faust/aiokafka upgrade?)."""


@dataclass(frozen=True)
class Requirement:
    """One internal a patch relies on: ``what`` it is and ``problem()`` (None when fine)."""

    patch: str
    what: str
    problem: Callable[[], str | None]


def framework_versions() -> str:
    """``faust-streaming 0.15.3, aiokafka 0.14.0, mode-streaming 0.7.1`` (installed)."""
    found = []
    for name in FRAMEWORK:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def verify(requirements: Iterable[Requirement]) -> None:
    """Raise :class:`FrameworkMismatch` naming every requirement that does not hold."""
    failed = []
    for requirement in requirements:
        try:
            problem = requirement.problem()
        except Exception as exc:  # a check that crashes is a changed internal too
            problem = f"check failed: {exc!r}"
        if problem is not None:
            failed.append(f"{requirement.what} ({requirement.patch}): {problem}")
    if failed:
        raise FrameworkMismatch(
            f"the Faust patches in streams/_faust do not fit {framework_versions()}: "
            + "; ".join(failed)
            + ". Install the tested versions (constraints.txt) or redo the upgrade "
            "checklist in streams/_faust/README.md"
        )


def _name(owner: object, attribute: str) -> str:
    if isinstance(owner, ModuleType):
        return f"{owner.__name__}.{attribute}"
    module = getattr(owner, "__module__", "")
    qualname = getattr(owner, "__qualname__", repr(owner))
    return f"{module}.{qualname}.{attribute}" if module else f"{qualname}.{attribute}"


def method(patch: str, owner: type, name: str, params: tuple[str, ...], *,
           coroutine: bool | None = None) -> Requirement:
    """``owner.name`` is callable with exactly these parameter names (``self`` included),
    and a coroutine function if ``coroutine`` is True (not one if False)."""

    def problem() -> str | None:
        if not hasattr(owner, name):
            return "missing"
        fun = getattr(owner, name)
        if not callable(fun):
            return f"not callable: {fun!r}"
        found = tuple(inspect.signature(fun).parameters)
        if found != params:
            return f"parameters {found}, expected {params}"
        if coroutine is not None and inspect.iscoroutinefunction(inspect.unwrap(fun)) != coroutine:
            return "not a coroutine function" if coroutine else "now a coroutine function"
        return None

    return Requirement(patch, _name(owner, name), problem)


def prop(patch: str, owner: type, name: str) -> Requirement:
    """``owner.name`` is a property (read on instances, e.g. a buffer's ``size``)."""

    def problem() -> str | None:
        if not isinstance(inspect.getattr_static(owner, name, None), property):
            return "missing" if not hasattr(owner, name) else "not a property"
        return None

    return Requirement(patch, _name(owner, name), problem)


def subclass(patch: str, child: object, base: type) -> Requirement:
    """``child`` is a class derived from ``base``."""

    def problem() -> str | None:
        if not isinstance(child, type) or not issubclass(child, base):
            return f"not a subclass of {base.__module__}.{base.__qualname__}"
        return None

    what = f"{getattr(child, '__module__', '')}.{getattr(child, '__qualname__', child)}"
    return Requirement(patch, what, problem)


def assigns(patch: str, owner: type, function: str, attribute: str) -> Requirement:
    """``owner.function`` (e.g. ``__init__``) assigns ``self.<attribute>``."""
    return _code_names(patch, owner, function, attribute, "no longer assigned by")


def uses(patch: str, owner: type, function: str, attribute: str) -> Requirement:
    """``owner.function`` still reads or calls ``<something>.<attribute>``."""
    return _code_names(patch, owner, function, attribute, "no longer used by")


def _code_names(patch: str, owner: type, function: str, attribute: str,
                complaint: str) -> Requirement:
    def problem() -> str | None:
        fun = owner.__dict__.get(function)
        fun = getattr(fun, "fget", fun)  # a property: its getter
        fun = getattr(fun, "fun", fun)  # a mode ``Service.task``: its function
        code = getattr(inspect.unwrap(fun), "__code__", None) if fun is not None else None
        if code is None:
            return f"{owner.__qualname__}.{function} is missing"
        if attribute not in set(_names(code)):
            return f"{complaint} {owner.__qualname__}.{function}"
        return None

    return Requirement(patch, _name(owner, attribute), problem)


def _names(code: CodeType) -> Iterator[str]:
    """The attribute and global names ``code`` and its nested functions use."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _names(const)
