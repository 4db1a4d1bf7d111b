"""The ``aisalesman`` command, one module per command group.

User errors (a bad file, an unknown name, an invalid value) print one line,
``error: ...``, and exit with status 2; there is no traceback.
"""

from __future__ import annotations

import logging
from typing import Optional

import typer

from aisalesman.cli import data, run, serving, training  # noqa: F401  (register the commands)
from aisalesman.cli._app import app, err
from aisalesman.core.errors import AISalesmanError

__all__ = ["app", "main"]


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point; returns the exit status (2 for user errors)."""
    import aisalesman  # noqa: F401  (registers built-in components and plug-ins)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    command = typer.main.get_command(app)
    try:
        # Standalone mode: typer reports its own usage errors (exit 2) and help (exit 0).
        command.main(args=argv, prog_name="aisalesman", standalone_mode=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except AISalesmanError as e:
        message = " ".join(str(e).split("\n"))
        err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
        return 2
    return 0

