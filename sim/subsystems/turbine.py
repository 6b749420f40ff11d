"""Turbine-generator and the plant's own consumption (docs/physics.md §6).

Gross power = steam flow x isentropic drop to the condenser (IAPWS-IF97 table) x isentropic
efficiency x generator efficiency. Own use: a base load plus fans (power ~ flow^3 at a fixed
system curve: affinity laws) and the feedwater pump (~ flow at fixed head).
"""
from __future__ import annotations

from collections import namedtuple

from numba import njit

from ..properties import isentropic_drop_j_kg, steam_t_degc

#: Turbine and own-use parameters (plant config ``turbine`` section; :func:`turbine_params`).
TurbineParams = namedtuple("TurbineParams", [
    "isentropic_efficiency", "generator_efficiency", "base_load_mw", "id_fan_design_mw",
    "pa_fan_design_mw", "sa_fan_design_mw", "feed_pump_design_mw"])
#: Entries of the power output vector.
(P_GROSS_MW, P_NET_MW, P_STEAM_T_DEGC, P_SIZE) = range(4)


def turbine_params(t) -> TurbineParams:
    """From the plant config's ``turbine`` section."""
    return TurbineParams(*(float(getattr(t, f)) for f in TurbineParams._fields))


@njit(cache=True)
def power(steam_kg_s, p_mpa, h_j_kg, gas_ratio, pa_ratio, sa_ratio, feedwater_ratio, tp, tables, out):
    """Fill ``out`` (P_* entries): gross and net electrical power [MW] and the steam temperature
    at the turbine inlet [degC]. Ratios are flows over their design values [-]; ``tables`` is
    (sh_h, sh_dh_isentropic, sh_first, t_grid, p_grid) of :mod:`sim.properties`."""
    sh_h, sh_dh, first, t_grid, p_grid = tables
    temp = steam_t_degc(p_mpa, h_j_kg, sh_h, first, t_grid, p_grid)
    gross = 0.0
    if steam_kg_s > 0.0:
        drop = isentropic_drop_j_kg(p_mpa, temp, sh_dh, first, t_grid, p_grid)
        gross = steam_kg_s * drop * tp.isentropic_efficiency * tp.generator_efficiency / 1e6
    own_use = (tp.base_load_mw + tp.id_fan_design_mw * gas_ratio ** 3 + tp.pa_fan_design_mw * pa_ratio ** 3
               + tp.sa_fan_design_mw * sa_ratio ** 3 + tp.feed_pump_design_mw * feedwater_ratio)
    out[P_GROSS_MW] = gross
    out[P_NET_MW] = gross - own_use
    out[P_STEAM_T_DEGC] = temp
