"""One small generic registry, used for every kind of component.

Entries are registered at their definition site with a decorator, or lazily as a
``"module:attr"`` string so that heavy dependencies are imported only when the entry is
used. Third-party packages add entries through an ``importlib.metadata`` entry-point group.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

from aisalesman.core.errors import AISalesmanError, ConfigError, UnknownNameError

__all__ = ["Registry", "unknown_name_message"]

T = TypeVar("T")
logger = logging.getLogger(__name__)


def unknown_name_message(kind: str, name: str, known: Iterable[str], *, list_known: bool = True) -> str:
    """``unknown <kind> '<name>'; did you mean ...? (known: ...)``."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = f" (known: {', '.join(known) or 'none'})" if list_known else ""
    return f"unknown {kind} {name!r}{hint}{listing}"


def _resolve(target: str) -> object:
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise AISalesmanError(f"lazy registry target {target!r} is not of the form 'module:attr'")
    obj: object = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """A name -> factory mapping with did-you-mean errors and entry-point plug-ins.

    Args:
        kind: What the entries are, used in messages ("agent", "env", ...).
        entry_point_group: The ``importlib.metadata`` group scanned once, on the first
            lookup, for third-party entries (``name = "package.module:factory"``).
    """

    def __init__(self, kind: str, *, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._entries: dict[str, T | str] = {}
        self._plugins_loaded = entry_point_group is None
        self._lock = threading.Lock()

    def register(self, name: str, target: T | str | None = None, *, overwrite: bool = False):
        """Register ``target`` under ``name``; without a target, return a decorator.

        ``target`` may be the object itself or a lazy ``"module:attr"`` string.
        Registering a name twice is an error unless ``overwrite`` is true.
        """
        if target is None:

            def decorator(obj: T) -> T:
                self._add(name, obj, overwrite=overwrite)
                return obj

            return decorator
        self._add(name, target, overwrite=overwrite)
        return target

    def _add(self, name: str, target: T | str, *, overwrite: bool) -> None:
        if not isinstance(name, str) or not name:
            raise AISalesmanError(f"{self.kind} names must be non-empty strings, got {name!r}")
        if name in self._entries and not overwrite:
            raise AISalesmanError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = target

    def _load_plugins(self) -> None:
        with self._lock:
            if self._plugins_loaded:
                return
            self._plugins_loaded = True
            for ep in importlib.metadata.entry_points(group=self.entry_point_group or ""):
                if ep.name in self._entries:
                    logger.warning("%s plug-in %r ignored: the name is taken", self.kind, ep.name)
                    continue
                self._entries[ep.name] = ep.value

    def get(self, name: str) -> T:
        """Return the entry for ``name``, importing a lazy target on first use."""
        self._load_plugins()
        try:
            target = self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None
        if isinstance(target, str):
            try:
                resolved = _resolve(target)
            except (ImportError, AttributeError) as err:
                raise AISalesmanError(
                    f"{self.kind} {name!r} could not be loaded from {target!r}: {err}"
                ) from err
            self._entries[name] = resolved  # type: ignore[assignment]
            return resolved  # type: ignore[return-value]
        return target

    def resolve(self, name: str) -> tuple[T, dict[str, str]]:
        """The factory for ``name`` and the arguments its name carries.

        A composite name ``prefix:rest`` (e.g. ``doga:llm``) resolves to the factory
        registered as ``prefix`` when that factory declares ``name_argument``: ``rest`` is
        passed as that argument. Exact registrations win over composite parsing.
        """
        self._load_plugins()
        if name not in self._entries and isinstance(name, str) and ":" in name:
            prefix, rest = name.split(":", 1)
            if prefix in self._entries:
                factory = self.get(prefix)
                param = getattr(factory, "name_argument", None)
                if param and rest:
                    return factory, {param: rest}
        return self.get(name), {}

    def has(self, name: str) -> bool:
        """Whether ``name`` (plain or composite) resolves."""
        try:
            self.resolve(name)
        except UnknownNameError:
            return False
        return True

    def uses_chat_model(self, name: str) -> bool:
        """Whether the component ``name`` takes the shared chat model.

        A factory's ``uses_chat_model`` is a bool, or a callable taking the arguments its
        name carries (a wrapper uses a model when what it wraps does).
        """
        factory, named = self.resolve(name)
        flag = getattr(factory, "uses_chat_model", False)
        return bool(flag(**named) if callable(flag) else flag)

    def create(self, name: str, *, chat_model: object = None, **kwargs: object):
        """Call the factory registered as ``name`` with ``kwargs``.

        ``chat_model`` is a shared LLM backend: it is passed as ``model`` to factories that
        use one (:meth:`uses_chat_model`) and ignored by the others. Arguments the factory
        does not take are a :class:`ConfigError` naming them.
        """
        factory, named = self.resolve(name)
        kwargs = {**named, **kwargs}
        if chat_model is not None and self.uses_chat_model(name):
            kwargs = {"model": chat_model, **kwargs}
        try:
            return factory(**kwargs)  # type: ignore[operator]
        except TypeError as err:
            raise ConfigError(f"{self.kind} {name!r} does not accept {sorted(kwargs)}: {err}") from err

    def unknown_message(self, name: str) -> str:
        """The message for an unknown name, with the closest known names."""
        return unknown_name_message(self.kind, name, self._entries)

    def names(self) -> list[str]:
        """All registered names, sorted."""
        self._load_plugins()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} entries)"

