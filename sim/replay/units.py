"""Units of historian tags and their conversion to the canonical channel units.

A tag map names the unit a plant tag is logged in (``t/h``, ``kg/s``, ``℃``, ``bar``, ...). Each
unit belongs to a dimension and converts linearly to that dimension's base unit
(``base = value * factor + offset``). A canonical channel's unit is read from its name suffix
(docs/physics.md §0.3: ``_t_h``, ``_nm3_h``, ``_degc``, ...), so a conversion exists exactly when
both units share a dimension. Pressures are absolute or gauge as the plant logs them: a gauge
reading needs the tag map's ``offset`` (+0.101325 MPa), nothing here guesses it.

Default physical ranges (:data:`PHYSICAL_RANGES`) are wide plausibility limits for any grate line
of 100-2,000 t/day (instrument ranges, not operating limits): a value outside is a broken signal.
A tag map can narrow or widen them per tag.
"""
from __future__ import annotations

import numpy as np

from sim.units import KELVIN_OFFSET

#: unit -> (dimension, factor, offset): base = value * factor + offset. Bases: kg/s, Nm3/s, K, Pa,
#: m, %, mg/Nm3, W, kg/s (dosing), -. Factors are exact SI definitions (psi: NIST SP 811).
UNITS: dict[str, tuple[str, float, float]] = {
    "t/h": ("mass_flow", 1000.0 / 3600.0, 0.0),
    "kg/h": ("mass_flow", 1.0 / 3600.0, 0.0),
    "kg/s": ("mass_flow", 1.0, 0.0),
    "Nm3/h": ("gas_flow", 1.0 / 3600.0, 0.0),
    "kNm3/h": ("gas_flow", 1000.0 / 3600.0, 0.0),
    "Nm3/s": ("gas_flow", 1.0, 0.0),
    "degC": ("temperature", 1.0, KELVIN_OFFSET),
    "K": ("temperature", 1.0, 0.0),
    "degF": ("temperature", 5.0 / 9.0, KELVIN_OFFSET - 32.0 * 5.0 / 9.0),
    "MPa": ("pressure", 1e6, 0.0),
    "kPa": ("pressure", 1e3, 0.0),
    "bar": ("pressure", 1e5, 0.0),
    "Pa": ("pressure", 1.0, 0.0),
    "psi": ("pressure", 6894.757293168, 0.0),
    "mm": ("length", 1e-3, 0.0),
    "cm": ("length", 1e-2, 0.0),
    "m": ("length", 1.0, 0.0),
    "%": ("fraction", 1.0, 0.0),
    "ppm": ("fraction", 1e-4, 0.0),
    "mg/Nm3": ("concentration", 1.0, 0.0),
    "g/Nm3": ("concentration", 1000.0, 0.0),
    "MW": ("power", 1e6, 0.0),
    "kW": ("power", 1e3, 0.0),
    "W": ("power", 1.0, 0.0),
    "-": ("flag", 1.0, 0.0),
}
#: Spellings seen in DCS exports -> the unit above.
ALIASES: dict[str, str] = {
    "℃": "degC", "°C": "degC", "C": "degC", "°F": "degF", "Nm³/h": "Nm3/h", "Nm^3/h": "Nm3/h",
    "m3/h": "Nm3/h", "m³/h": "Nm3/h", "kNm³/h": "kNm3/h", "mg/Nm³": "mg/Nm3", "mg/m3": "mg/Nm3",
    "mg/m³": "mg/Nm3", "g/Nm³": "g/Nm3", "pct": "%", "vol%": "%", "vol %": "%", "T/H": "t/h",
    "t/hr": "t/h", "MPa(a)": "MPa", "MPa.a": "MPa", "bar(a)": "bar", "": "-",
}
#: Channel-name suffix -> unit (longest suffix first when matching).
_SUFFIX_UNITS = (("_mg_nm3", "mg/Nm3"), ("_nm3_h", "Nm3/h"), ("_t_h", "t/h"), ("_kg_h", "kg/h"),
                 ("_degc", "degC"), ("_mpa", "MPa"), ("_mm", "mm"), ("_pct", "%"), ("_mw", "MW"),
                 ("_pa", "Pa"), ("_flag", "-"), ("_m", "m"))

#: Channels a plant log may carry besides the plant's measurements and commands: setpoints of
#: the loops, actuator positions the commands act through, extra instruments, state flags.
#: Name -> (unit, role); role ``setpoint``/``position`` are held between samples like commands,
#: ``measurement`` averaged, ``flag`` held (1 = on/true). ``waste_throughput_t_h`` is a weighed
#: throughput (crane weighing per grab, belt scale), unlike the feeder's command ``feed_rate_t_h``
#: whose t/h come from a guessed scale. ``primary_air_zone<k>_nm3_h`` are the
#: grate zones' undergrate air flows, ``furnace_temp_tc<k>_degc`` single thermocouples (the
#: furnace_temp_degc channel is the plant's representative value).
LOG_CHANNELS: dict[str, tuple[str, str]] = {
    "steam_flow_setpoint_t_h": ("t/h", "setpoint"), "o2_setpoint_pct": ("%", "setpoint"),
    "drum_level_setpoint_mm": ("mm", "setpoint"), "furnace_temp_setpoint_degc": ("degC", "setpoint"),
    "primary_air_damper_pct": ("%", "position"), "secondary_air_damper_pct": ("%", "position"),
    "id_fan_speed_pct": ("%", "position"), "furnace_pressure_pa": ("Pa", "measurement"),
    "ram_run_flag": ("-", "flag"), "cems_calibration_flag": ("-", "flag"),
    "waste_throughput_t_h": ("t/h", "measurement"),
    **{f"primary_air_zone{k}_nm3_h": ("Nm3/h", "measurement") for k in range(1, 6)},
    **{f"furnace_temp_tc{k}_degc": ("degC", "measurement") for k in range(1, 7)},
}

#: Plausibility range of each canonical channel [its unit]: instrument ranges of grate lines.
PHYSICAL_RANGES: dict[str, tuple[float, float]] = {
    "steam_flow_t_h": (0.0, 300.0), "drum_pressure_mpa": (0.0, 15.0), "drum_level_mm": (-1000.0, 1000.0),
    "steam_temp_degc": (0.0, 600.0), "furnace_temp_degc": (0.0, 1500.0), "o2_wet_vol_pct": (0.0, 21.0),
    "co_mg_nm3": (0.0, 5000.0), "nox_mg_nm3": (0.0, 2000.0), "so2_mg_nm3": (0.0, 5000.0),
    "hcl_mg_nm3": (0.0, 5000.0), "dust_mg_nm3": (0.0, 1000.0), "nh3_mg_nm3": (0.0, 500.0),
    "flue_gas_flow_nm3_h": (0.0, 1.0e6), "boiler_exit_temp_degc": (0.0, 600.0), "hopper_level_m": (0.0, 30.0),
    "gross_power_mw": (-5.0, 150.0), "net_power_mw": (-20.0, 150.0),
    "feed_rate_t_h": (0.0, 150.0), "grate_speed_pct": (0.0, 300.0), "primary_air_nm3_h": (0.0, 5.0e5),
    "secondary_air_nm3_h": (0.0, 5.0e5), "feedwater_t_h": (0.0, 400.0), "urea_kg_h": (0.0, 2000.0),
    "lime_kg_h": (0.0, 5000.0), "carbon_kg_h": (0.0, 500.0), "aux_burner_mw": (0.0, 100.0),
    "steam_flow_setpoint_t_h": (0.0, 300.0), "o2_setpoint_pct": (0.0, 21.0), "drum_level_setpoint_mm": (-1000.0, 1000.0),
    "furnace_temp_setpoint_degc": (0.0, 1500.0), "primary_air_damper_pct": (-5.0, 105.0),
    "secondary_air_damper_pct": (-5.0, 105.0), "id_fan_speed_pct": (-5.0, 110.0),
    "furnace_pressure_pa": (-2000.0, 2000.0), "waste_throughput_t_h": (0.0, 150.0), "ram_run_flag": (0.0, 1.0), "cems_calibration_flag": (0.0, 1.0),
    **{f"primary_air_zone{k}_nm3_h": (0.0, 3.0e5) for k in range(1, 6)},
    **{f"furnace_temp_tc{k}_degc": (0.0, 1500.0) for k in range(1, 7)},
}


def normalise_unit(unit: str) -> str:
    """The canonical spelling of ``unit`` (ValueError naming it and the known units otherwise)."""
    u = ALIASES.get(unit.strip(), unit.strip())
    if u not in UNITS:
        raise ValueError(f"unknown unit {unit!r}: expected one of {sorted(UNITS)} (or {sorted(ALIASES)})")
    return u


def channel_unit(channel: str) -> str:
    """The unit a canonical channel carries in its name (``-`` for mode flags ``mode_*``)."""
    if channel.startswith("mode_"):
        return "-"
    for suffix, unit in _SUFFIX_UNITS:
        if channel.endswith(suffix):
            return unit
    raise ValueError(f"channel {channel!r} has no unit suffix: expected one of {[s for s, _ in _SUFFIX_UNITS]}")


def conversion(unit: str, target: str) -> tuple[float, float]:
    """(gain, bias) with ``value_in_target = value_in_unit * gain + bias``.

    ValueError if the units measure different things (e.g. ``kg/s`` into ``degC``).
    """
    dim_a, fa, oa = UNITS[normalise_unit(unit)]
    dim_b, fb, ob = UNITS[normalise_unit(target)]
    if dim_a != dim_b:
        raise ValueError(f"unit {unit!r} ({dim_a}) cannot be converted to {target!r} ({dim_b})")
    return fa / fb, (oa - ob) / fb


def unit_ratios(unit: str) -> dict[str, float]:
    """Multiplicative factors between ``unit`` and the other units of its dimension.

    ``{other: k}`` with ``value_in_other = k * value_in_unit`` for units without offset: what a
    silent change of the logged unit looks like in the data (a jump by ``k``).
    """
    dim, f, o = UNITS[normalise_unit(unit)]
    return {u: f / fu for u, (d, fu, ou) in UNITS.items()
            if d == dim and u != normalise_unit(unit) and o == 0.0 and ou == 0.0 and not np.isclose(f, fu)}
