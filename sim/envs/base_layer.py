"""The base control layer of the automatic combustion control (ACC) of a grate line (docs/physics.md §12).

**Where this lives and why.** In a real plant these PI loops run in the DCS, below any
supervisory system: a plant AI moves their setpoints and biases, never the valves. So the layer is
part of what ``WtE/IncineratorSupervisory-v0`` (:mod:`sim.envs.supervisory`) presents to an agent,
and it lives here, in :mod:`sim`. The classic rule-based controller :class:`agents.rule_based.RuleBasedACC`
is this same layer with every supervisory setpoint at its default (one implementation, so a
supervisory action of 0 reproduces ``rule_based`` bit for bit). The import direction is
``agents -> sim`` only: :mod:`sim` (the plant and its environments) never imports :mod:`agents`
(the controllers), so there is no import cycle.

The loops, run every control interval (10 s by default):

1. **Steam-flow master** (feed loop): a PI on steam flow sets the load signal L (1.0 = design).
   Feed rate and grate speed follow L in proportion (bed depth as designed). The combustion air
   follows the heat demand (steam setpoint / design steam: air per unit of heat is nearly the same
   for wet and dry waste, so wet waste does not bring extra air with its extra mass) plus the
   recent changes of L, washed out over :data:`AIR_WASHOUT_S` (air is the fast lever on steam,
   burning the char already on the grate; the feed takes over the lasting part: mid-ranging).
   Model of the loop (a +10 % load step of this plant): +7.5 t/h steam, 63 % within 6.5 min
   with a tail of ~40 min; tuned as K = 70 t/h per unit L, theta = 120 s, tau = 780 s (the
   tail), SIMC tau_c = 2 theta.
2. **O2 trim** (air loop): a PI on the wet O2 moves secondary air around its air-demand value.
   Model: +15 % secondary air -> +0.57 % O2, within ~20 s (K = 9.1e-5 % per Nm3/h,
   theta = 10 s, tau = 20 s); SIMC, tau_c = 120 s.
3. **Furnace-temperature overrides**: below 880 degC the secondary air is cut (less dilution)
   and the grate slowed (the fire must not move off the grate) in proportion to the shortfall;
   above 1,050 degC secondary air is added (dilution) and the feed cut, by at most 20 %. An
   auxiliary-burner PI holds 860 degC (the 850 degC / 2 s rule with a margin). Model (step test of
   this plant: +5 MW -> +26 K, 63 % after 80 s including the 4 MW/min ramp): 5.2 K per MW,
   theta = 30 s, tau = 60 s; tau_c = theta, tight on purpose: the burner has to catch a bed that
   wet waste is putting out within minutes.
4. **Three-element drum level** (water loop): :class:`DrumLevelLoop`.
5. **Flue-gas treatment**: urea on the stack NOx and lime on the stack HCl, each a PI on the
   CEMS reading with feed-forward on the flue-gas flow (dosing proportional to gas); activated
   carbon on feed-forward alone (no online dioxin measurement). Lime neutralises SO2 and HCl
   together; the loop reads HCl, the acid gas with the tighter limit relative to its raw level.
   Models from this plant: NOx -6.7 mg/Nm3 per kg/h urea, theta 150 s (CEMS), tau 60 s,
   tau_c 300 s; HCl -0.25 mg/Nm3 per kg/h lime, theta 300 s, tau 1,200 s (filter cake), tau_c 600 s.

**Supervisory setpoints** (:data:`SETPOINTS` order; what a supervisory system moves). Each has a
default (the classic ACC's fixed value) and a half-range; the supervisory env maps its action
``a`` in [-1, 1] to ``default + a * half_range``:

=============================  ======  =================================  ==========================
setpoint                       unit    default                            half-range
=============================  ======  =================================  ==========================
``steam_setpoint_offset_t_h``  t/h     0 (added to the plant's setpoint)  10 % of design steam
``feed_bias``                  -       0 (feed x (1 + bias))              0.2
``grate_bias``                 -       0 (grate speed x (1 + bias))       0.2
``primary_air_shift``          -       0 (share of the total air demand   0.1
                                       moved from secondary to primary)
``o2_setpoint_wet_vol_pct``    vol %   design O2 (7.63 for the reference  1.5
                                       line)
``nox_setpoint_mg_nm3``        mg/Nm3  150                                100
``hcl_setpoint_mg_nm3``        mg/Nm3  7                                  5
=============================  ======  =================================  ==========================

Reasons for the ranges: a supervisory steam offset is a trim within the ACC's load range, not a
load change (±10 %); feed and grate biases have the authority of the ACC's own feed override
(20 %); the primary-air shift moves the design primary share (0.65) over 0.55-0.75, the range of
the load curves of grate suppliers; the O2 band 6.1-9.1 % wet spans the usual 6-8 % target (docs/physics.md §12.1);
the NOx setpoint spans 50 mg/Nm3 (deep SNCR, high NH3 slip) to the GB 18485-2014 daily limit
250 mg/Nm3, the default 150 keeping a margin below the EU IED daily limit 200; the HCl setpoint
spans 2-12 mg/Nm3 around the default 7 (margin below the EU IED daily limit 10).
"""
from __future__ import annotations

import math

import numpy as np

from ..units import ACTUATORS
from .incinerator import commands_to_action
from .pid import PI, simc_first_order, simc_integrating

__all__ = ["BaseLayer", "DrumLevelLoop", "SETPOINTS", "SETPOINT_UNITS"]

#: Supervisory setpoints, in this order in the supervisory action.
SETPOINTS: tuple[str, ...] = ("steam_setpoint_offset_t_h", "feed_bias", "grate_bias", "primary_air_shift",
                              "o2_setpoint_wet_vol_pct", "nox_setpoint_mg_nm3", "hcl_setpoint_mg_nm3")
#: Unit of each setpoint (``-`` = dimensionless).
SETPOINT_UNITS: dict[str, str] = {"steam_setpoint_offset_t_h": "t/h", "feed_bias": "-", "grate_bias": "-",
                                  "primary_air_shift": "-", "o2_setpoint_wet_vol_pct": "vol %",
                                  "nox_setpoint_mg_nm3": "mg/Nm3", "hcl_setpoint_mg_nm3": "mg/Nm3"}

#: Default stack setpoints [mg/Nm3, 11 % O2 dry] with margin below the EU IED daily limits (NOx 200, HCl 10).
NOX_SETPOINT_MG_NM3 = 150.0
HCL_SETPOINT_MG_NM3 = 7.0
#: Furnace temperature thresholds [degC]: overrides (docs/physics.md §12.3: ~850 and ~1,050-1,100 degC)
#: and the auxiliary burner's setpoint (850 degC legal minimum + 10 K margin).
T_LOW_OVERRIDE_DEGC, T_HIGH_OVERRIDE_DEGC, T_BURNER_DEGC = 880.0, 1050.0, 860.0
#: Override strengths [1/K]: share of design secondary air cut, grate speed cut, feed cut per K
#: outside the band, and of design secondary air added per K above it.
SA_CUT_PER_K, GRATE_CUT_PER_K, FEED_CUT_PER_K, SA_ADD_PER_K = 0.01, 0.005, 0.002, 0.005
#: Largest feed cut of the hot override [-] and smallest grate factor of the cold one [-].
MAX_FEED_CUT, MIN_GRATE_FACTOR = 0.2, 0.7
#: Largest urea dose as a multiple of the design dose (NSR 1 on the design raw NOx) [-]: above a
#: normalised stoichiometric ratio of ~2 SNCR mostly adds NH3 slip, and in a hot furnace the
#: excess NH3 burns to NO (US EPA Air Pollution Control Cost Manual, Sect. 4 Ch. 1, SNCR).
MAX_UREA_NSR = 2.0
#: Load range of the steam master [-] (1.0 = design), the feeder's range in the plant config.
#: A cap at the firing diagram's ~110 % throughput was tried: on the benchmark it doubled the steam
#: scatter on design waste and multiplied lhv_drift's CO exceedances by 19 for one trip fewer.
LOAD_MIN, LOAD_MAX = 0.6, 1.3
#: Washout time constant of the air's share of the steam master [s]: the combustion air follows
#: load changes of the master for tens of minutes (the fast lever on steam), then returns to the
#: heat demand while the feed keeps the lasting part (mid-ranging; Allison & Isaksson 1998,
#: J. Process Control 8, 27). About three times the feed -> steam response time (docs/physics.md §10).
AIR_WASHOUT_S = 1800.0
#: Half-ranges of the supervisory setpoints (module docstring): steam offset as a share of the
#: design steam flow, then feed bias, grate bias, primary-air shift [-], O2 [vol %], NOx, HCl [mg/Nm3].
STEAM_OFFSET_HALF_RANGE_SHARE = 0.1
FEED_BIAS_HALF_RANGE, GRATE_BIAS_HALF_RANGE, PRIMARY_AIR_SHIFT_HALF_RANGE = 0.2, 0.2, 0.1
O2_HALF_RANGE_VOL_PCT, NOX_HALF_RANGE_MG_NM3, HCL_HALF_RANGE_MG_NM3 = 1.5, 100.0, 5.0

_FEED, _GRATE, _PA, _SA, _FW, _UREA, _LIME, _CARBON, _AUX = range(len(ACTUATORS))


class DrumLevelLoop:
    """Three-element drum level control (docs/physics.md §12.2): feedwater = measured steam flow
    (feed-forward) + PI on the level. The level is an integrating process:
    1 t/h of imbalance moves it 1000/3600 / (rho_w A) = 0.032 mm/s in the reference drum
    (rho_w 780 kg/m3, A 11 m2); dead time ~10 s; SIMC with tau_c = 120 s. The PI's integral
    also carries the steam the air preheater takes, which no flow meter shows."""

    SLOPE_MM_PER_S_PER_T_H = 0.032
    DEAD_TIME_S, TAU_C_S = 10.0, 120.0

    def __init__(self, bias_t_h: float, max_t_h: float):
        kc, ti = simc_integrating(self.SLOPE_MM_PER_S_PER_T_H, self.DEAD_TIME_S, self.TAU_C_S)
        self.pi = PI(kc=kc, ti_s=ti, lo=0.0, hi=max_t_h, bias=bias_t_h)
        self._bias0 = bias_t_h

    def reset(self) -> None:
        self.pi.reset(self._bias0)

    def feedwater_t_h(self, m: dict, dt_s: float) -> float:
        return self.pi.update(-m["drum_level_mm"], dt_s, feedforward=m["steam_flow_t_h"])


def _real(v) -> bool:
    """A finite real number (not a bool)."""
    return not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v)


def _share(v) -> bool:
    """A share of a setpoint's half-range: a real number in [0, 1]."""
    return _real(v) and 0.0 <= v <= 1.0


def _authority(value) -> tuple[np.ndarray, np.ndarray]:
    """``setpoint_authority`` checked, as (share below the default, share above it), one each per
    setpoint in SETPOINTS order. Accepted: one number in (0, 1] for every setpoint and side, or a
    sequence of len(SETPOINTS) items, each a number in [0, 1] (both sides; 0 holds that setpoint
    at its default) or a pair ``[down, up]`` of numbers in [0, 1] (one-sided: ``[0.5, 0]`` lets the
    NOx setpoint go down, never up); not all 0."""
    if _real(value) and 0.0 < value <= 1.0:
        return np.full(len(SETPOINTS), float(value)), np.full(len(SETPOINTS), float(value))
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) == len(SETPOINTS):
        pairs = [(v, v) if _share(v) else tuple(v) if isinstance(v, (list, tuple)) and len(v) == 2 else None
                 for v in value]
        if all(p is not None and _share(p[0]) and _share(p[1]) for p in pairs) and any(max(p) > 0 for p in pairs):
            down, up = zip(*pairs)
            return np.array(down, dtype=float), np.array(up, dtype=float)
    raise ValueError(f"setpoint_authority={value!r}: expected a number in (0, 1] (the share of each setpoint's "
                     f"half-range a supervisory action may use) or {len(SETPOINTS)} items, one per setpoint in "
                     f"the order {list(SETPOINTS)}, each a number in [0, 1] or a pair [down, up] of them (the "
                     "shares below and above the default), not all 0")


class BaseLayer:
    """The ACC's PI loops for one plant (see the module docstring), stepped every ``dt_s`` seconds.

    Built from a plant at its design point (``sim.Plant``; only its design values and bounds are
    read, so any plant of the same config serves). :meth:`commands` writes the physical actuator
    commands for the measurements and supervisory setpoints; :meth:`action` gives them as
    ``WtE/Incinerator-v0``'s normalised action. Call :meth:`reset` at every episode start.
    """

    def __init__(self, plant, dt_s: float, setpoint_authority=1.0, fallback_below_degc: float | None = None):
        down, up = _authority(setpoint_authority)
        if fallback_below_degc is not None and not _real(fallback_below_degc):
            raise ValueError(f"fallback_below_degc={fallback_below_degc!r}: expected None or a furnace temperature "
                             "in degC")
        d = plant.design_actuators
        self.dt_s = float(dt_s)
        self.lower, self.upper = plant.actuator_bounds
        design_m = plant.measurements  # the plant sits at its design point when built
        self._feed, self._grate = d["feed_rate_t_h"], d["grate_speed_pct"]
        self._pa, self._sa = d["primary_air_nm3_h"], d["secondary_air_nm3_h"]
        self._urea, self._lime, self._carbon = d["urea_kg_h"], d["lime_kg_h"], d["carbon_kg_h"]
        self._design_flue_nm3_h = design_m["flue_gas_flow_nm3_h"]
        self._design_steam_t_h = plant.design_steam_t_h
        self._washout = 1.0 - math.exp(-self.dt_s / AIR_WASHOUT_S)
        self._load_slow = 1.0
        self.level = DrumLevelLoop(d["feedwater_t_h"] - plant.design_steam_t_h, self.upper[_FW])
        kc, ti = simc_first_order(70.0, 780.0, 120.0, 240.0)
        self.steam = PI(kc=kc, ti_s=ti, lo=LOAD_MIN, hi=LOAD_MAX, bias=1.0)
        kc, ti = simc_first_order(9.1e-5, 20.0, 10.0, 120.0)
        self.o2 = PI(kc=kc, ti_s=ti, lo=-0.5 * self._sa, hi=0.5 * self._sa)
        kc, ti = simc_first_order(5.2, 60.0, 30.0, 30.0)
        self.burner = PI(kc=kc, ti_s=ti, lo=self.lower[_AUX], hi=self.upper[_AUX])
        kc, ti = simc_first_order(6.7, 60.0, 150.0, 300.0)
        self.urea = PI(kc=-kc, ti_s=ti, lo=-self._urea, hi=min(MAX_UREA_NSR * self._urea, self.upper[_UREA]))
        kc, ti = simc_first_order(0.25, 1200.0, 300.0, 600.0)
        self.lime = PI(kc=-kc, ti_s=ti, lo=-self._lime, hi=self.upper[_LIME])
        #: Defaults (the classic ACC) and half-ranges of the supervisory setpoints, SETPOINTS order.
        self.default_setpoints = np.array([0.0, 0.0, 0.0, 0.0, design_m["o2_wet_vol_pct"],
                                           NOX_SETPOINT_MG_NM3, HCL_SETPOINT_MG_NM3])
        #: Half-ranges of the setpoints' bands (authority 1), SETPOINTS order, physical units.
        self.setpoint_half_range = np.array([
            STEAM_OFFSET_HALF_RANGE_SHARE * plant.design_steam_t_h, FEED_BIAS_HALF_RANGE, GRATE_BIAS_HALF_RANGE,
            PRIMARY_AIR_SHIFT_HALF_RANGE, O2_HALF_RANGE_VOL_PCT, NOX_HALF_RANGE_MG_NM3, HCL_HALF_RANGE_MG_NM3])
        #: What an action of -1 and +1 adds to the default: the half-range times the authority.
        self._reach_down, self._reach_up = down * self.setpoint_half_range, up * self.setpoint_half_range
        #: Below this measured furnace temperature [degC] the supervisory action is ignored (None: never).
        self.fallback_below_degc = None if fallback_below_degc is None else float(fallback_below_degc)
        self._commands = np.zeros(len(ACTUATORS))

    def setpoints(self, action: np.ndarray, out: np.ndarray, m: dict | None = None) -> np.ndarray:
        """Supervisory action (SETPOINTS order, already in [-1, 1]) -> setpoints in physical units,
        ``default + action * share * half_range`` (the share of ``setpoint_authority`` on the
        action's side of 0), written into ``out`` (float64) and
        returned. With ``fallback_below_degc`` set and the measured furnace temperature in ``m``
        (the DCS measurements the layer acts on) below it, the defaults: the supervisory system
        hands the cold furnace back to the classic ACC, as plant AI systems drop to the DCS in
        abnormal conditions."""
        if self.fallback_below_degc is not None and m is not None and m["furnace_temp_degc"] < self.fallback_below_degc:
            out[:] = self.default_setpoints
            return out
        np.multiply(action, np.where(action < 0.0, self._reach_down, self._reach_up), out=out)
        out += self.default_setpoints
        return out

    def reset(self) -> None:
        """Integrals to zero, the steam master at design load."""
        self.level.reset()
        self.steam.reset(1.0)
        self._load_slow = 1.0
        for loop in (self.o2, self.burner, self.urea, self.lime):
            loop.reset()

    def commands(self, m: dict, steam_setpoint_t_h: float, setpoints) -> np.ndarray:
        """One control step: physical commands (ACTUATORS order, clipped to the bounds).

        ``m``: the DCS measurements (MEASUREMENTS names); ``steam_setpoint_t_h``: the plant's
        steam-flow setpoint; ``setpoints``: the seven supervisory setpoints (SETPOINTS order,
        physical units; a sequence of floats). Returns an internal buffer, overwritten next call.
        """
        steam_offset, feed_bias, grate_bias, pa_shift, o2_sp, nox_sp, hcl_sp = setpoints
        dt = self.dt_s
        temp = m["furnace_temp_degc"]
        cold = max(0.0, T_LOW_OVERRIDE_DEGC - temp)
        hot = max(0.0, temp - T_HIGH_OVERRIDE_DEGC)
        steam_sp = steam_setpoint_t_h + steam_offset
        load = self.steam.update(steam_sp - m["steam_flow_t_h"], dt)
        self._load_slow += (load - self._load_slow) * self._washout
        heat = min(max(steam_sp / self._design_steam_t_h + load - self._load_slow, LOAD_MIN), LOAD_MAX)
        gas_ratio = m["flue_gas_flow_nm3_h"] / self._design_flue_nm3_h
        trim = self.o2.update(o2_sp - m["o2_wet_vol_pct"], dt)
        shift_nm3_h = pa_shift * (self._pa + self._sa) * heat
        c = self._commands
        c[_FEED] = self._feed * load * (1.0 + feed_bias) * (1.0 - min(FEED_CUT_PER_K * hot, MAX_FEED_CUT))
        c[_GRATE] = self._grate * load * (1.0 + grate_bias) * max(1.0 - GRATE_CUT_PER_K * cold, MIN_GRATE_FACTOR)
        c[_PA] = self._pa * heat + shift_nm3_h
        c[_SA] = self._sa * (heat - SA_CUT_PER_K * cold + SA_ADD_PER_K * hot) + trim - shift_nm3_h
        c[_FW] = self.level.feedwater_t_h(m, dt)
        c[_UREA] = self.urea.update(nox_sp - m["nox_mg_nm3"], dt, feedforward=self._urea * gas_ratio)
        c[_LIME] = self.lime.update(hcl_sp - m["hcl_mg_nm3"], dt, feedforward=self._lime * gas_ratio)
        c[_CARBON] = self._carbon * gas_ratio
        c[_AUX] = self.burner.update(T_BURNER_DEGC - temp, dt)
        np.minimum(c, self.upper, out=c)
        np.maximum(c, self.lower, out=c)
        return c

    def action(self, m: dict, steam_setpoint_t_h: float, setpoints) -> np.ndarray:
        """:meth:`commands` as ``WtE/Incinerator-v0``'s normalised action (float32, new array).

        The one path by which both the supervisory env and ``agents.rule_based`` drive the plant.
        """
        return commands_to_action(self.commands(m, steam_setpoint_t_h, setpoints), self.lower, self.upper)
