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
    "EnvStateError",
    "InvalidActionError",
    "LLMBadResponseError",
    "LLMConnectionError",
    "LLMError",
    "LLMRateLimitError",
    "LLMRequestError",
    "LLMServerError",
    "LLMTimeoutError",
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


class LLMError(AISalesmanError):
    """A chat-model call failed (after any retries). ``retryable``: worth trying again."""

    retryable = False


class LLMTimeoutError(LLMError):
    """No answer within the backend's timeout."""

    retryable = True


class LLMConnectionError(LLMError):
    """The server could not be reached (refused, reset, DNS)."""

    retryable = True


class LLMRateLimitError(LLMError):
    """HTTP 429; ``retry_after`` is the server's ``Retry-After`` in seconds, if it sent one."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LLMServerError(LLMError):
    """HTTP 5xx from the server."""

    retryable = True


class LLMBadResponseError(LLMError):
    """The server answered, but not with a usable completion (malformed body, no choices)."""

    retryable = True


class LLMRequestError(LLMError):
    """The request itself is wrong (HTTP 4xx other than 429: bad model name, auth, schema)."""


class EnvStateError(AISalesmanError, RuntimeError):
    """An environment method called in the wrong state: before ``reset()``, or after the call ended."""
