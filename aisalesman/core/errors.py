"""The exception hierarchy of AI-Salesman.

Every error a user can cause (a bad file, an unknown name, an invalid value) is an
:class:`AISalesmanError`; the command line turns it into a one-line message and exit
status 2.
"""

from __future__ import annotations

__all__ = [
    "AISalesmanError",
    "ConfigError",
    "DataFileError",
    "InvalidActionError",
    "UnknownNameError",
]


class AISalesmanError(Exception):
    """Root of every error raised on purpose by this package."""


class ConfigError(AISalesmanError, ValueError):
    """An invalid configuration value (the message names the field and the value)."""


class DataFileError(AISalesmanError):
    """A file a user handed us is missing, unreadable or violates its schema."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnknownNameError(AISalesmanError, KeyError):
    """A registry lookup for a name nobody registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidActionError(AISalesmanError, ValueError):
    """An environment action that breaks the rules (wrong type, too long, out of turn)."""
