"""Unit helpers and the canonical channel names.

Conventions (docs/physics.md §0.1, §0.3): SI inside the physics (kg/s, W, K, Pa, m), plant units at the
edges (t/h, MW, degC, MPa, Nm3/h, mg/Nm3), with the unit in every name. Normal conditions (Nm3) are
0 degC and 101.325 kPa (DIN 1343, as used by EN 14181 / GB 18485 reporting).
"""
from __future__ import annotations

#: Molar volume of an ideal gas at 0 degC, 101.325 kPa [Nm3/kmol] (CODATA R * 273.15 K / 101325 Pa).
NM3_PER_KMOL = 22.414
#: Offset between degC and K [K].
KELVIN_OFFSET = 273.15
#: Reference O2 for waste-incineration emission reporting [vol % dry] (GB 18485-2014, EU IED Annex VI).
REFERENCE_O2_DRY_PCT = 11.0
#: Minimum temperature of the gas after the last air injection [degC] (GB 18485-2014: 850 degC for
#: 2 s; EU IED Art. 50(2)); the KPIs count 5-minute means below it.
FURNACE_MIN_TEMP_DEGC = 850.0

#: Measurements as a DCS shows them (docs/physics.md §0.3). CEMS values are dry and normalised to 11 % O2.
MEASUREMENTS: tuple[str, ...] = (
    "steam_flow_t_h", "drum_pressure_mpa", "drum_level_mm", "steam_temp_degc",
    "furnace_temp_degc", "o2_wet_vol_pct", "co_mg_nm3", "nox_mg_nm3", "so2_mg_nm3",
    "hcl_mg_nm3", "dust_mg_nm3", "nh3_mg_nm3", "flue_gas_flow_nm3_h",
    "boiler_exit_temp_degc", "hopper_level_m", "gross_power_mw", "net_power_mw",
)
#: Actuator commands, in this order in every action vector (docs/physics.md §0.3).
ACTUATORS: tuple[str, ...] = (
    "feed_rate_t_h", "grate_speed_pct", "primary_air_nm3_h", "secondary_air_nm3_h",
    "feedwater_t_h", "urea_kg_h", "lime_kg_h", "carbon_kg_h", "aux_burner_mw",
)
#: Hidden truth: for info and KPIs, never in observations.
TRUTH: tuple[str, ...] = (
    "waste_lhv_mj_kg", "waste_moisture_pct", "bed_carbon_kg", "loi_pct",
    "furnace_gas_temp_degc", "o2_dry_vol_pct", "fouling_factor", "heat_release_mw",
    "dioxin_ng_teq_nm3", "steam_flow_setpoint_t_h", "feed_actual_t_h", "waste_fed_t",
    "aux_fuel_mwh", "boiler_efficiency", "turbine_valve_pct", "flame_temp_degc",
)


def degc_to_k(value_degc: float) -> float:
    """Degrees Celsius -> kelvin."""
    return value_degc + KELVIN_OFFSET


#: Measured dry O2 is clipped here before normalising [vol %] (see :func:`to_reference_o2`).
O2_CLIP_PCT = 20.0


def to_reference_o2(conc_mg_nm3_dry, o2_dry_vol_pct, reference_o2_pct: float = REFERENCE_O2_DRY_PCT):
    """Normalise a dry concentration to the reference O2 (docs/physics.md §8.2; IED Annex VI Part 7).

    ``C_ref = C_meas * (21 - O2_ref) / (21 - O2_meas,dry)``. Works on floats and numpy arrays.
    The measured O2 is clipped at 20 vol % so that near-air samples (burner off, purge) do not
    blow the correction up; the standards themselves exclude such periods.
    """
    import numpy as np

    o2 = np.minimum(o2_dry_vol_pct, O2_CLIP_PCT)
    return conc_mg_nm3_dry * (21.0 - reference_o2_pct) / (21.0 - o2)
