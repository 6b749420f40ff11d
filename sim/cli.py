"""The one place where the user-facing scripts turn bad input into one line and exit code 2.

    if __name__ == "__main__":
        from sim.cli import run_cli
        sys.exit(run_cli(main))

:func:`run_cli` calls ``main()`` (which parses ``sys.argv``) and returns the exit code: ``main``'s
return value if it is an int, else 0.
When ``main`` raises one of :data:`USER_ERRORS` -- the project's :class:`sim.errors.InputError`
(``ConfigError`` of plant, scenario, tag-map and training configs, ``LogError`` of historian logs,
bad options and policy files) or an ``OSError`` about a path the user named (missing, already
there, a folder where a file is expected or the reverse, no permission) -- the script prints one
line to stderr and returns 2, argparse's code for bad usage::

    run_scenario.py: error: invalid config p.yaml: actuators.feed_rate_t_h.max: Input should be a finite number (got inf)

A multi-line message (one line per invalid field) is joined with "; ". Anything else is a bug:
Python prints its traceback and the exit code is 1. ``--debug`` anywhere on the command line
(removed before ``main`` parses it) or ``WTE_DEBUG=1`` in the environment shows the traceback of
bad input too. Ctrl-C (SIGINT) prints "interrupted" and returns 130 (128 + SIGINT), no
traceback: results are written atomically, so nothing half-written is left behind.

A script that runs another one (``evaluate.py`` runs ``benchmark.py``) sees
``subprocess.CalledProcessError`` when the child fails; the child has printed its own error, so
``run_cli`` adds one line naming the child and returns the child's exit code (2 for bad input,
1 for a bug). ``SystemExit`` (argparse's usage errors, exit code 2) passes through.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import InputError

__all__ = ["USER_ERRORS", "DEBUG_FLAG", "DEBUG_ENV", "run_cli", "one_line"]

#: Exceptions that mean "the input is wrong", reported in one line with exit code 2.
USER_ERRORS: tuple[type[BaseException], ...] = (InputError, FileNotFoundError, FileExistsError, IsADirectoryError,
                                                NotADirectoryError, PermissionError)
#: Command-line flag and environment variable that keep the traceback of bad input.
DEBUG_FLAG = "--debug"
DEBUG_ENV = "WTE_DEBUG"
#: Exit codes: bad input (as argparse), interrupted by SIGINT (128 + 2).
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def one_line(err: BaseException) -> str:
    """The message of ``err`` on one line: its first line, then the others (stripped) joined by "; "."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()] or [type(err).__name__]
    head, rest = lines[0], lines[1:]
    return head + (" " + "; ".join(rest) if rest else "")


def _debug(argv: list[str]) -> bool:
    return DEBUG_FLAG in argv[1:] or os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def run_cli(main: Callable[[], object], argv: list[str] | None = None) -> int:
    """Run a script's ``main()``; its exit code (see the module docstring). ``argv`` defaults to
    ``sys.argv`` (the list ``main`` parses); ``--debug`` is taken out of it before ``main`` runs."""
    argv = sys.argv if argv is None else argv
    debug = _debug(argv)
    argv[1:] = [a for a in argv[1:] if a != DEBUG_FLAG]
    prog = Path(argv[0]).name if argv else "wte-sim"
    try:
        result = main()
        code = result if isinstance(result, int) and not isinstance(result, bool) else 0
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prog}: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except subprocess.CalledProcessError as err:
        if debug:
            raise
        child = " ".join(Path(str(a)).name if i < 2 else str(a) for i, a in enumerate(err.cmd))
        print(f"{prog}: error: {child!r} failed with exit code {err.returncode} (its message is above)", file=sys.stderr)
        code = err.returncode if err.returncode > 0 else 1
    except USER_ERRORS as err:
        if debug:
            raise
        print(f"{prog}: error: {one_line(err)} (traceback: {DEBUG_FLAG} or {DEBUG_ENV}=1)", file=sys.stderr)
        code = EXIT_BAD_INPUT
    return code
