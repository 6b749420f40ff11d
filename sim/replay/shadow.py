"""Shadow mode: a controller reads the logged observations; its actions are compared with the
operator's/DCS's logged commands (nothing it proposes reaches a plant).

At every grid step the controller gets what it would get from ``WtE/Incinerator-v0`` at that
moment of the log (:func:`~sim.replay.observe.logged_view`): ``info["measurements"]``,
``info["truth"]["steam_flow_setpoint_t_h"]`` (the given setpoint or the plant's design steam)
and the observation vector. Its action is mapped to physical
commands and compared per actuator with the logged command (:func:`~sim.replay.metrics.compare`,
plus ``agreement_pct``, the share of steps within 5 % of the actuator's range; with auto/manual
flags in the log also ``agreement_pct_<flag>_auto`` and ``..._manual`` for those periods).

Caveat written into every result: the controller's loops never act on the plant, so an
integrating loop (PI) that disagrees with the operator keeps integrating; read the first
minutes and the direction of moves rather than long-run levels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.config import load_scenario
from sim.envs.incinerator import to_commands
from sim.units import ACTUATORS, MEASUREMENTS

from .log import PlantLog
from .metrics import compare
from .observe import logged_view
from .openloop import EXPECTED_WASTE

#: A proposed command within this share of the actuator's range counts as agreeing [-].
AGREEMENT_BAND = 0.05


@dataclass
class ShadowResult:
    proposed: pd.DataFrame
    metrics: dict[str, dict[str, float]]
    notes: list[str] = field(default_factory=list)
    controller: str = ""

    def summary(self) -> dict:
        return {"controller": self.controller, "metrics": self.metrics, "notes": self.notes}


def shadow(log: PlantLog, make_controller, plant="reference_750tpd", steam_setpoint_t_h: float | None = None,
           seed: int = 0, progress: bool = False) -> ShadowResult:
    """Run ``make_controller(env)`` (e.g. ``lambda env: agents.make_controller("rule_based", env)``)
    on the log; see the module docstring."""
    env = gym.make("WtE/Incinerator-v0", plant=plant, scenario=load_scenario("steady_design", EXPECTED_WASTE),
                   control_interval_s=log.step_s)
    controller = make_controller(env)
    env.reset(seed=seed)
    p = env.unwrapped.plant
    lower, upper = p.actuator_bounds
    notes = ["the controller's actions never act on the plant: loops that disagree with the operator wind up"]
    view = logged_view(log, p, notes, steam_setpoint_t_h)
    controller.reset(seed)
    proposed = np.empty((len(log.data), len(ACTUATORS)))
    meas, cmds = view.measurements.to_numpy(), view.commands.to_numpy()
    truth = {"steam_flow_setpoint_t_h": view.steam_setpoint_t_h}
    for k in tqdm(range(len(log.data)), desc=f"shadow {controller.name}", unit="step", disable=not progress,
                  leave=False):
        info = {"measurements": dict(zip(MEASUREMENTS, meas[k].tolist())), "truth": truth,
                "actuators": dict(zip(ACTUATORS, cmds[k].tolist())), "time_s": float(log.data.index[k])}
        proposed[k] = to_commands(controller.act(view.observations[k], info), lower, upper)
    proposed_df = pd.DataFrame(proposed, columns=list(ACTUATORS), index=log.data.index)
    periods = {"": np.ones(len(log.data), bool)}
    for mode in log.modes:
        flag = log.data[mode].to_numpy(float)
        periods[f"_{mode}_auto"], periods[f"_{mode}_manual"] = flag >= 0.5, flag < 0.5
        notes.append(f"{mode}: automatic (1) in {100.0 * float(np.nanmean(flag)):.0f} % of the log")
    metrics = {}
    for i, a in enumerate(ACTUATORS):
        if a not in log.data:
            notes.append(f"command {a} not in the log: proposed values not compared")
            continue
        y = log.data[a].to_numpy(float)
        r = compare(y, proposed[:, i], log.step_s)
        agree = np.abs(proposed[:, i] - y) <= AGREEMENT_BAND * (upper[i] - lower[i])
        for suffix, sel in periods.items():
            sel = sel & np.isfinite(y)
            r[f"agreement_pct{suffix}"] = float(100.0 * agree[sel].mean()) if sel.any() else float("nan")
        metrics[a] = r
    return ShadowResult(proposed_df, metrics, notes, controller.name)

