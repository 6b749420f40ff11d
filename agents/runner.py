"""Drive any controller through any environment and return the trajectory as a table."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.units import ACTUATORS, MEASUREMENTS, TRUTH

from .base import Controller


def run_episode(env, controller: Controller, seed: int, progress: bool = True) -> pd.DataFrame:
    """One episode from ``env.reset(seed)`` to termination or truncation.

    Returns a DataFrame with ``time_s``, every measurement, actuator command and hidden-truth
    channel (canonical names, units in the names), ``reward`` and ``cems_valid``; the first row
    is the state after reset. A trip ends the episode; its reason is in ``df.attrs["trip"]``.
    """
    base = env.unwrapped
    n_max = math.ceil(base.episode_hours * 3600.0 / base.control_interval_s) + 1
    columns = ["time_s", *MEASUREMENTS, *ACTUATORS, *TRUTH, "reward", "cems_valid"]
    data = np.full((n_max, len(columns)), np.nan)
    obs, info = env.reset(seed=seed)
    controller.reset(seed)

    def record(row: int, info: dict, reward: float) -> None:
        m, a, t = info["measurements"], info["actuators"], info["truth"]
        data[row] = [info["time_s"], *(m[c] for c in MEASUREMENTS), *(a[c] for c in ACTUATORS),
                     *(t[c] for c in TRUTH), reward, float(base.plant.cems_valid)]

    record(0, info, 0.0)
    row, trip = 1, None
    bar = tqdm(total=n_max - 1, desc=f"{controller.name}", unit="step", disable=not progress, leave=False)
    while row < n_max:
        obs, reward, terminated, truncated, info = env.step(controller.act(obs, info))
        record(row, info, float(reward))
        row += 1
        bar.update()
        if terminated or truncated:
            trip = info["violations"]["trip"]
            break
    bar.close()
    df = pd.DataFrame(data[:row], columns=columns)
    df.attrs["trip"] = trip
    df.attrs["controller"] = controller.name
    return df
