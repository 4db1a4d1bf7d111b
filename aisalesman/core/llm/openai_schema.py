"""The body of an OpenAI-compatible chat-completion answer, parsed as untrusted input.

Every field a server sends is checked: the body is one JSON object with at least one
choice; the first choice's message has a string ``content``; ``finish_reason`` is a
string or null; token counts are JSON integers in ``[0, MAX_TOKEN_COUNT]`` (or absent or
null, read as 0); log-probabilities, when present, are finite numbers not above 0.
Fields we do not use are ignored, so servers that add their own still parse. A defect is
a :class:`ResponseDefect` naming the field, never echoing its value.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

__all__ = ["MAX_TOKEN_COUNT", "ChatCompletionBody", "ResponseDefect", "parse_completion_body"]

#: The largest token count believed; a larger one is a defect, not a cost.
MAX_TOKEN_COUNT = 10**9

_TokenCount = Annotated[int, Field(strict=True, ge=0, le=MAX_TOKEN_COUNT)]
_LogProb = Annotated[float, Field(strict=True, allow_inf_nan=False, le=0.0)]


class ResponseDefect(ValueError):
    """A completion body that is not a usable answer (the message says which field is wrong)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Usage(_Model):
    prompt_tokens: _TokenCount | None = None
    completion_tokens: _TokenCount | None = None


class _TokenLogProb(_Model):
    logprob: _LogProb


class _LogProbs(_Model):
    content: list[_TokenLogProb] | None = None


class _Message(_Model):
    content: StrictStr


class _Choice(_Model):
    message: _Message
    finish_reason: StrictStr | None = None
    logprobs: _LogProbs | None = None


class ChatCompletionBody(_Model):
    """The fields of ``/chat/completions`` answers that we use."""

    choices: list[_Choice] = Field(min_length=1)
    usage: _Usage | None = None

    @property
    def text(self) -> str:
        return self.choices[0].message.content

    @property
    def finish_reason(self) -> str:
        """``length`` when the server says it stopped at the token limit, else ``stop``."""
        return "length" if self.choices[0].finish_reason == "length" else "stop"

    @property
    def tokens(self) -> tuple[int, int]:
        """(prompt, completion) token counts; 0 where the server gave none."""
        u = self.usage
        return (u.prompt_tokens or 0, u.completion_tokens or 0) if u is not None else (0, 0)

    @property
    def logprobs(self) -> tuple[float, ...] | None:
        lp = self.choices[0].logprobs
        if lp is None or lp.content is None:
            return None
        return tuple(t.logprob for t in lp.content)


def _describe(err: ValidationError) -> str:
    """Where and what, without the offending value (which may be huge or carry secrets)."""
    errors = err.errors(include_url=False, include_input=False, include_context=False)
    first = errors[0]
    where = ".".join(map(str, first["loc"])) or "body"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def parse_completion_body(raw: bytes | str) -> ChatCompletionBody:
    """Validate a raw answer body; raise :class:`ResponseDefect` saying which field is wrong.

    Bytes that are not UTF-8 become U+FFFD, as an HTTP client's ``.text`` would make them.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    try:
        return ChatCompletionBody.model_validate_json(raw)
    except ValidationError as err:
        raise ResponseDefect(_describe(err)) from None
