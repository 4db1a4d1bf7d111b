"""The ``aisalesman`` command, one module per command group.

User errors (a bad file, an unknown name, an invalid value) print one line,
``error: ...``, and exit with status 2; there is no traceback.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Optional

import typer
from typer.exceptions import TyperException

from aisalesman.cli import data, reading, run, serving, training  # noqa: F401  (register the commands)
from aisalesman.cli._app import app, err
from aisalesman.core.errors import AISalesmanError

__all__ = ["app", "main"]


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point; returns the exit status (2 for user errors)."""
    import aisalesman  # noqa: F401  (registers built-in components and plug-ins)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    command = typer.main.get_command(app)
    previous = _interrupt_on_sigterm()
    try:
        # Not typer's standalone mode: it prints usage errors as a multi-line box and turns
        # Ctrl-C into "Aborted!"; here every error is one line, and cleanup runs first.
        status = command.main(args=argv, prog_name="aisalesman", standalone_mode=False)
    except typer.Exit as e:
        return e.exit_code
    except (KeyboardInterrupt, typer.Abort):
        status = _INTERRUPTED
    except TyperException as e:  # a usage error (bad option value, unknown option): exit 2
        if type(e).__name__ == "NoArgsIsHelpError":
            e.show()
        else:
            err.print(f"error: {' '.join(e.format_message().split())}", markup=False, highlight=False, soft_wrap=True)
        return getattr(e, "exit_code", 2)
    except AISalesmanError as e:
        message = " ".join(str(e).split())
        err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if status == _INTERRUPTED:  # typer returns this for Ctrl-C (and so SIGTERM) after our cleanup ran
        err.print("error: interrupted (files being written were left as they were)", markup=False, highlight=False)
    return status if isinstance(status, int) else 0


_INTERRUPTED = 130


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _interrupt_on_sigterm():
    """Turn SIGTERM into KeyboardInterrupt (so temporary files are cleaned up); return the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)

