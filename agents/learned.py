"""``learned``: the shipped learned controller (an SB3 policy trained with scripts/train.py).

The policy lives in this package, ``agents/policies/learned/``:

* ``model.zip`` and ``model.json`` -- the SB3 model and its policy card (algorithm, env setup,
  observation normalisation), loaded safely by :class:`agents.sb3.SB3Controller`;
* ``config.yaml`` -- the training config that produced it (``scripts/train.py --config`` repeats it);
* ``training_curve.png`` and ``README.md`` -- how it trained and what it scored on the test seeds.

Until a policy is shipped there, building the controller raises FileNotFoundError saying so.
"""
from __future__ import annotations

from pathlib import Path

from .sb3 import SB3Controller

#: Folder of the shipped policy.
POLICY_DIR = Path(__file__).resolve().parent / "policies" / "learned"
MODEL_PATH = POLICY_DIR / "model.zip"


class LearnedController(SB3Controller):
    """The shipped policy as a controller (see the module docstring)."""

    name = "learned"

    def __init__(self, env):
        if not MODEL_PATH.is_file():
            raise FileNotFoundError(
                f"controller 'learned': no shipped policy file {MODEL_PATH}. Train one with "
                "scripts/train.py and copy its model.zip and model.json (plus config.yaml and "
                f"training_curve.png) into {POLICY_DIR}/, or use 'sb3:PATH.zip' for a policy elsewhere.")
        super().__init__(env, MODEL_PATH, name=self.name)
