"""The reward of the WtE environments: a documented sum of named terms.

:func:`reward_terms` is a pure function of one control step. It returns a dict of named terms
whose sum (in the dict's order, ``sum(terms.values())``) is the step reward, so ``info`` can
carry every term and they add up to the reward exactly. Signs live in the terms; the weights in
:class:`RewardWeights` are non-negative.

=================  ==================================================================  =======
term               definition (per control step)                                       weight
=================  ==================================================================  =======
``steam_tracking`` ``-w * |steam_flow_t_h - setpoint_t_h| / setpoint_t_h``              5.0
``net_power``      ``+w * net_power_mw / design_net_power_mw``                          1.0
``emissions``      ``-w * sum_p max(0, C_p / limit_p - 1)`` over co, nox, so2, hcl,     2.0
                   dust, CEMS readings (dry, 11 % O2) against the GB 18485-2014 1-h
                   limits (:data:`sim.kpis.EMISSION_LIMITS_MG_NM3`)
``furnace_850``    ``-w`` when the measured ``furnace_temp_degc`` < 850 degC            2.0
``cost``           ``-w * (cost of urea + lime + carbon + auxiliary fuel) /             1.0
                   (value of the design net power)``, both in CNY/h at this step's
                   commands, i.e. the step's operating cost in units of the design
                   electricity revenue; with the same weight as ``net_power`` the two
                   trade off at market prices
``movement``       ``-w * sum_i |a_i - a_prev_i|`` in normalised action units          0.05
                   (a in [-1, 1]); damps actuator chatter
``trip``           ``-w`` on the step the plant trips (the episode then terminates)    50.0
=================  ==================================================================  =======

At the design point (steam on setpoint, design net power, emissions below the limits, furnace
above 850 degC, design reagent dosing, no aux fuel, actions held) a step is worth about
``1 - 0.04 = 0.96``. The emission term compares instantaneous CEMS readings with the 1-h limits:
a per-step proxy for the block averages that :mod:`sim.kpis` counts.

Prices (indicative Chinese market prices, 2023-2024; change them with ``reward_weights``):
urea 2.5 CNY/kg (ex-works urea 2,200-2,600 CNY/t), hydrated lime 0.8 CNY/kg (Ca(OH)2 600-900 CNY/t
delivered), powdered activated carbon 8 CNY/kg (6,000-10,000 CNY/t), auxiliary fuel = natural gas
4.9 CNY/kg (~3.5 CNY/Nm3) at the burner's LHV (:data:`sim.subsystems.waste.AUX_FUEL_LHV_J_KG`), electricity 0.65 CNY/kWh
(China's on-grid tariff for waste-to-energy, NDRC Price [2012] No. 801, for the first 280 kWh/t).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from numba import njit

from ..config import ConfigError
from ..kpis import EMISSION_LIMITS_MG_NM3, FURNACE_MIN_TEMP_DEGC
from ..subsystems.waste import AUX_FUEL_LHV_J_KG
from ..units import ACTUATORS, MEASUREMENTS

__all__ = ["RewardWeights", "reward_terms", "TERMS", "EMISSION_LIMITS_1H_MG_NM3"]

#: Names of the reward terms, in the order they are summed.
TERMS: tuple[str, ...] = ("steam_tracking", "net_power", "emissions", "furnace_850", "cost", "movement", "trip")

_GB_1H = EMISSION_LIMITS_MG_NM3["gb18485"]["1h"]
#: GB 18485-2014 1-h limits [mg/Nm3, dry, 11 % O2] judged by the ``emissions`` term, in this order.
EMISSION_LIMITS_1H_MG_NM3: Mapping[str, float] = {p: float(_GB_1H[p]) for p in ("co", "nox", "so2", "hcl", "dust")}
#: Pollutants of the ``emissions`` term, their MEASUREMENTS indices and the inverse limits.
POLLUTANTS = tuple(EMISSION_LIMITS_1H_MG_NM3)
POLLUTANT_INDEX = np.array([MEASUREMENTS.index(f"{p}_mg_nm3") for p in POLLUTANTS])
LIMITS_1H_MG_NM3 = np.array([EMISSION_LIMITS_1H_MG_NM3[p] for p in POLLUTANTS])
_INV_LIMITS = 1.0 / LIMITS_1H_MG_NM3
#: RewardWeights fields in the order of the compiled kernel's ``w`` array.
WEIGHT_FIELDS = TERMS + ("urea_cny_per_kg", "lime_cny_per_kg", "carbon_cny_per_kg", "aux_fuel_cny_per_kg",
                         "electricity_cny_per_kwh")
_I_STEAM, _I_NET, _I_FURNACE = (MEASUREMENTS.index(c) for c in ("steam_flow_t_h", "net_power_mw", "furnace_temp_degc"))
_I_UREA, _I_LIME, _I_CARBON, _I_AUX = (ACTUATORS.index(a) for a in ("urea_kg_h", "lime_kg_h", "carbon_kg_h", "aux_burner_mw"))


@dataclass(frozen=True)
class RewardWeights:
    """Weights (non-negative, dimensionless) of the reward terms and the prices behind ``cost``.

    See the module docstring for each term. Prices are in CNY per unit.
    """

    steam_tracking: float = 5.0
    net_power: float = 1.0
    emissions: float = 2.0
    furnace_850: float = 2.0
    cost: float = 1.0
    movement: float = 0.05
    trip: float = 50.0
    #: Urea for SNCR [CNY/kg] (ex-works 2,200-2,600 CNY/t, 2023-2024).
    urea_cny_per_kg: float = 2.5
    #: Hydrated lime for the semi-dry scrubber [CNY/kg] (600-900 CNY/t delivered).
    lime_cny_per_kg: float = 0.8
    #: Powdered activated carbon [CNY/kg] (6,000-10,000 CNY/t).
    carbon_cny_per_kg: float = 8.0
    #: Auxiliary burner fuel, pipeline natural gas as the plant burns it [CNY/kg]
    #: (industrial tariff ~3.5 CNY/Nm3 at 0.717 kg/Nm3).
    aux_fuel_cny_per_kg: float = 4.9
    #: Electricity sold [CNY/kWh] (NDRC Price [2012] No. 801 WtE tariff); normalises ``cost``.
    electricity_cny_per_kwh: float = 0.65

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ConfigError(f"reward weight {f.name}={v!r}: expected a real number")
            if not math.isfinite(v) or v < 0:
                raise ConfigError(f"reward weight {f.name}={v!r}: expected a finite value >= 0")
            object.__setattr__(self, f.name, float(v))
        if self.electricity_cny_per_kwh <= 0:
            raise ConfigError(f"reward weight electricity_cny_per_kwh={self.electricity_cny_per_kwh!r}: "
                             "expected > 0 (it normalises the cost term)")

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, float] | None) -> "RewardWeights":
        """Defaults with ``overrides`` applied; an unknown name or a bad value raises
        :class:`sim.config.ConfigError` (a ValueError) naming it."""
        if overrides is None:
            return cls()
        if isinstance(overrides, RewardWeights):
            return overrides
        if not isinstance(overrides, Mapping):
            raise ConfigError(f"reward_weights={overrides!r}: expected a dict of field -> value or None")
        known = [f.name for f in fields(cls)]
        unknown = [k for k in overrides if k not in known]
        if unknown:
            raise ConfigError(f"reward_weights: unknown field(s) {unknown}; expected some of {known}")
        return cls(**overrides)

    def as_array(self) -> np.ndarray:
        """The weights and prices in :data:`WEIGHT_FIELDS` order (what :func:`reward_kernel` takes)."""
        return np.array([getattr(self, f) for f in WEIGHT_FIELDS], dtype=float)


@njit(cache=True)
def reward_kernel(m, cmd, act, last, setpoint_t_h, design_net_power_mw, tripped, w, r, diff):
    """Fill ``r`` (TERMS order) with the reward terms of one step and return their sum.

    ``m``: measurements after the step (MEASUREMENTS order); ``cmd``: physical commands held
    (ACTUATORS order); ``act``/``last``: this and the previous normalised action; ``w``: weights
    and prices (:data:`WEIGHT_FIELDS` order); ``diff``: scratch of the actions' length.
    """
    excess = 0.0
    for k in range(POLLUTANT_INDEX.shape[0]):
        e = m[POLLUTANT_INDEX[k]] * _INV_LIMITS[k] - 1.0
        if e > 0.0:
            excess += e
    revenue = design_net_power_mw * 1000.0 * w[11]
    aux_kg_h = cmd[_I_AUX] * 3.6e9 / AUX_FUEL_LHV_J_KG  # MW -> J/h -> kg/h of the plant's burner fuel
    cost = cmd[_I_UREA] * w[7] + cmd[_I_LIME] * w[8] + cmd[_I_CARBON] * w[9] + aux_kg_h * w[10]
    for k in range(act.shape[0]):
        diff[k] = abs(act[k] - last[k])
    r[0] = -w[0] * abs(m[_I_STEAM] - setpoint_t_h) / setpoint_t_h
    r[1] = w[1] * m[_I_NET] / design_net_power_mw
    r[2] = -w[2] * excess
    r[3] = -w[3] if m[_I_FURNACE] < FURNACE_MIN_TEMP_DEGC else 0.0
    r[4] = -w[4] * cost / revenue
    r[5] = -w[5] * diff.sum()
    r[6] = -w[6] if tripped else 0.0
    reward = 0.0
    for k in range(r.shape[0]):
        reward += r[k]
    return reward


def reward_terms(weights: RewardWeights, measurements: Mapping[str, float], commands: np.ndarray,
                 action: np.ndarray, previous_action: np.ndarray, *, steam_setpoint_t_h: float,
                 design_net_power_mw: float, tripped: bool) -> dict[str, float]:
    """The named reward terms of one control step (see the module docstring).

    ``measurements``: the plant's measurements after the step (MEASUREMENTS names);
    ``commands``: physical actuator commands held during the step (ACTUATORS order);
    ``action``/``previous_action``: normalised actions in [-1, 1] of this and the last step;
    ``tripped``: the plant tripped during this step. Returns floats keyed by :data:`TERMS`.
    """
    r = np.zeros(len(TERMS))
    act = np.asarray(action, dtype=float)
    m = np.array([float(measurements[c]) for c in MEASUREMENTS])
    reward_kernel(m, np.asarray(commands, dtype=float), act, np.asarray(previous_action, dtype=float),
                  float(steam_setpoint_t_h), float(design_net_power_mw), bool(tripped), weights.as_array(), r,
                  np.zeros(act.shape[0]))
    return dict(zip(TERMS, r.tolist()))
