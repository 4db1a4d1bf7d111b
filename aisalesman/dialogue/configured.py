"""The reader a run uses: a name, an instance, or nothing for the project default.

Environments, customers, agents, metrics, the corpus importer and every command take a
``reader`` that is a registered name (``lexicon``, ``learned``, ``llm``), a
:class:`~aisalesman.dialogue.reading.Reader` instance, or None; :func:`env_reader` turns any
of these into the reader itself, None meaning
:data:`~aisalesman.dialogue.DEFAULT_ENV_READER`. Readers built by name are shared within a
process (see :func:`~aisalesman.dialogue.reading.make_reader`), so every component of a run
holds the same one and reads each text once.
"""

from __future__ import annotations

from typing import Any

from aisalesman.core.errors import ConfigError
from aisalesman.dialogue.reading import Reader, make_reader, readers

__all__ = ["check_reader_name", "default_reader_name", "env_reader", "reader_name"]


def default_reader_name() -> str:
    """:data:`aisalesman.dialogue.DEFAULT_ENV_READER` (read here, not copied)."""
    from aisalesman import dialogue

    return dialogue.DEFAULT_ENV_READER


def env_reader(reader: str | Reader | None = None) -> Reader:
    """``reader`` itself, the registered reader it names, or the project default for None.

    Raises:
        UnknownNameError: ``reader`` names no registered reader (with a did-you-mean).
        ConfigError: ``reader`` is neither a name, a :class:`Reader` nor None.
    """
    if reader is None:
        return make_reader(default_reader_name())
    if isinstance(reader, str):
        return make_reader(reader)
    if not isinstance(reader, Reader):
        raise ConfigError(f"reader must be a registered reader name ({', '.join(readers.names())}) or a Reader, "
                          f"got {type(reader).__name__} {reader!r:.60}")
    return reader


def reader_name(reader: str | Reader | None) -> str:
    """The name a run records for ``reader`` (its ``name`` attribute for an instance)."""
    if reader is None:
        return default_reader_name()
    return reader if isinstance(reader, str) else str(getattr(reader, "name", type(reader).__name__))


def check_reader_name(name: Any, *, field: str = "reader") -> str:
    """``name`` if it is a registered reader, else a one-line :class:`ConfigError` naming ``field``.

    Only the name is checked: the reader is not built (the learned one takes a while).
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{field}: must be a registered reader name ({', '.join(readers.names())}), got {name!r:.60}")
    if name not in readers:
        raise ConfigError(f"{field}: {readers.unknown_message(name)}")
    return name
