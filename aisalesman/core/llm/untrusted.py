"""Text that crosses the boundary with a model server, made safe to store or send back.

:func:`redact` takes secrets out of text a server may have echoed (an error message that
quotes the request's headers, say) before it reaches an exception, a log or a transcript.
:func:`clip` bounds how much of a model's output is quoted back to it in a repair prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "clip", "redact"]

REDACTED = "[redacted]"

# ``Authorization: Bearer x``, ``"authorization": "x"``, ``api_key=x``, ``'x-api-key': 'x'``:
# the value after the field name (and after an auth scheme, if there is one).
_FIELD = re.compile(
    r"(?i)((?:authorization|x-api-key|api[-_]?key)[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic)\s+)?)"
    r"(?!(?:bearer|basic)\s)([^\s\"',;&}\[\]]+)")
# A bearer token anywhere else (``... token Bearer sk-123 ...``).
_BEARER = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=\-]+)")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every value of ``secrets`` and every credential-looking value replaced.

    Each non-empty secret is replaced wherever it occurs; so are the values of
    ``Authorization``/``api-key`` fields and ``Bearer`` tokens, whatever they are, so that a
    key the caller does not know of (one a proxy added, say) is removed too.
    """
    out = str(text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        out = out.replace(secret, REDACTED)
    out = _FIELD.sub(lambda m: m.group(1) + REDACTED, out)
    return _BEARER.sub(lambda m: m.group(1) + REDACTED, out)


def clip(text: str, limit: int = 2000) -> str:
    """The first ``limit`` characters of ``text``, with a note saying how much was cut."""
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit!r}")
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit} more characters cut]"
