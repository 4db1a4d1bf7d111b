"""A text space that accepts any Unicode string up to a length."""

from __future__ import annotations

from typing import Any

from gymnasium.spaces import Text

__all__ = ["UnicodeText"]

# Characters used when sampling; ``contains`` accepts every character.
_SAMPLE_CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,?!'-éüñ中文€$"


class UnicodeText(Text):
    """Like :class:`gymnasium.spaces.Text`, but ``contains`` accepts any ``str`` of a valid length.

    Gymnasium's ``Text`` checks each character against a charset (alphanumeric by default);
    utterances are free Unicode text, so only the length is checked.
    """

    def __init__(self, max_length: int, *, min_length: int = 0, seed: int | None = None) -> None:
        super().__init__(max_length, min_length=min_length, charset=_SAMPLE_CHARSET, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"
