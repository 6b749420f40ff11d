"""Turbine-generator and the plant's own consumption (domain.md §2, §9).

Gross power = steam flow x isentropic drop to the condenser (IAPWS-IF97 table) x isentropic
efficiency x generator efficiency. Own use: a base load plus fans (power ~ flow^3 at a fixed
system curve: affinity laws) and the feedwater pump (~ flow at fixed head).
"""
from __future__ import annotations

from ..config import Turbine
from ..properties import isentropic_drop_j_kg, steam_t_degc


def gross_power_mw(steam_kg_s: float, p_mpa: float, h_j_kg: float, t: Turbine) -> tuple[float, float]:
    """(gross electrical power [MW], steam temperature [degC]) at the turbine inlet."""
    if steam_kg_s <= 0.0:
        return 0.0, steam_t_degc(p_mpa, h_j_kg)
    temp = steam_t_degc(p_mpa, h_j_kg)
    drop = isentropic_drop_j_kg(p_mpa, temp)
    return steam_kg_s * drop * t.isentropic_efficiency * t.generator_efficiency / 1e6, temp


def own_use_mw(gas_ratio: float, pa_ratio: float, sa_ratio: float, feedwater_ratio: float, t: Turbine) -> float:
    """Auxiliary power [MW]; ratios are flows over their design values [-]."""
    return (t.base_load_mw + t.id_fan_design_mw * gas_ratio ** 3 + t.pa_fan_design_mw * pa_ratio ** 3
            + t.sa_fan_design_mw * sa_ratio ** 3 + t.feed_pump_design_mw * feedwater_ratio)
