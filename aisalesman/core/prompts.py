"""Prompt templates: text files with ``$name`` placeholders (:class:`string.Template`).

Shipped templates live in a package's ``prompts/`` folder; a user points ``prompt_dir``
at a folder of their own to replace any of them by file name. A placeholder the code
does not fill, or a file that does not exist, is an error naming the file.
"""

from __future__ import annotations

import string
from functools import lru_cache
from importlib import resources
from pathlib import Path

from aisalesman.core.errors import DataFileError

__all__ = ["PromptSet"]


def _read(package: str, name: str, override_dir: str | None) -> tuple[str, str]:
    if override_dir is not None:
        path = Path(override_dir) / name
        if path.exists():
            try:
                return str(path), path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise DataFileError(path, f"cannot read prompt template ({err})") from err
    return _shipped(package, name)


@lru_cache(maxsize=64)
def _shipped(package: str, name: str) -> tuple[str, str]:
    res = resources.files(package).joinpath("prompts", name)
    if not res.is_file():
        raise DataFileError(f"{package}/prompts/{name}", "no such prompt template")
    return f"{package}/prompts/{name}", res.read_text(encoding="utf-8")


class PromptSet:
    """The templates of one component (``package``), optionally overridden from ``prompt_dir``."""

    def __init__(self, package: str, prompt_dir: str | Path | None = None) -> None:
        self.package = package
        self.prompt_dir = str(prompt_dir) if prompt_dir is not None else None
        if self.prompt_dir is not None and not Path(self.prompt_dir).is_dir():
            raise DataFileError(self.prompt_dir, "prompt_dir is not a directory")
        self._loaded: dict[str, tuple[str, str]] = {}  # user files are read once per instance

    def render(self, template: str, /, **values: object) -> str:
        if template not in self._loaded:
            self._loaded[template] = _read(self.package, template, self.prompt_dir)
        where, text = self._loaded[template]
        try:
            return string.Template(text).substitute({k: str(v) for k, v in values.items()})
        except KeyError as err:
            raise DataFileError(where, f"placeholder ${err.args[0]} is not one this component fills "
                                       f"(available: {', '.join(sorted(values))})") from err
        except ValueError as err:
            raise DataFileError(where, f"bad placeholder ({err}); write a literal $ as $$") from err
