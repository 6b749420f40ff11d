"""The base class of the project's bad-input errors.

Every error that means "the input is wrong" (a config, a scenario, a tag map, a training config,
a historian log, a policy file, an option) derives from :class:`InputError`, which is a
``ValueError`` (so ``except ValueError`` keeps working). Its message names the file or field, the
value and what was expected. :func:`sim.cli.run_cli` turns exactly these (and path errors) into one
line and exit code 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input from the user; the message names the file or field, the value and the rule."""
