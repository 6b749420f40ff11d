"""Typed, validated configuration of plants and scenarios (YAML in ``configs/``).

Every field carries its unit in its name and its source in ``description``. Loading is strict:
an unknown key, a missing key, a value that is not a finite number (NaN, ``.inf``) or one out of its
physical range raises :class:`ConfigError` naming the field, the value and what was expected. Every
float field is finite (:data:`FiniteFloat`, or :func:`F`) and bounded: the bound's reason is in its
description or in a comment. A config file is UTF-8 YAML text; a missing path, a folder, a binary or
non-UTF-8 file and a YAML syntax error are ConfigErrors naming the file (:func:`read_yaml`, also
used for tag maps and training configs). YAML is read with safe loaders only: configs are data,
never code.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError

CONFIG_ROOT = Path(__file__).resolve().parent.parent / "configs"


class ConfigError(InputError):
    """A config file or value is wrong; the message names the file or field, the value and the rule."""


#: A float that must be finite: NaN and +-inf are rejected ("Input should be a finite number").
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def F(lo=None, hi=None, desc: str = "", **kw):
    """A finite numeric field with inclusive bounds and a description (unit and source)."""
    return Field(ge=lo, le=hi, description=desc, allow_inf_nan=False, **kw)


# --------------------------------------------------------------------------------- plant ---
class WasteDesign(_Strict):
    """Design waste, wet basis [wt %] (docs/physics.md §2.1). Must sum to 100."""

    carbon_pct: float = F(5, 40, "C, wet wt %")
    hydrogen_pct: float = F(0.5, 6, "H, wet wt %")
    oxygen_pct: float = F(2, 25, "O, wet wt %")
    nitrogen_pct: float = F(0, 3, "N, wet wt %")
    sulphur_pct: float = F(0, 1, "S, wet wt %")
    chlorine_pct: float = F(0, 2, "Cl, wet wt %")
    ash_pct: float = F(2, 40, "ash, wet wt %")
    moisture_pct: float = F(10, 65, "moisture, wet wt %")
    fixed_carbon_daf_frac: float = F(0.02, 0.4, "fixed carbon per kg dry ash-free matter [-]")
    bulk_density_kg_m3: float = F(150, 700, "hopper bulk density [kg/m3]")

    @model_validator(mode="after")
    def _sums_to_100(self):
        total = (self.carbon_pct + self.hydrogen_pct + self.oxygen_pct + self.nitrogen_pct
                 + self.sulphur_pct + self.chlorine_pct + self.ash_pct + self.moisture_pct)
        if abs(total - 100.0) > 0.05:
            raise ValueError(f"waste composition sums to {total:.3f} wt %, expected 100")
        if self.carbon_pct / 100 < self.fixed_carbon_daf_frac * (
                total - self.ash_pct - self.moisture_pct) / 100:
            raise ValueError("fixed carbon exceeds total carbon")
        return self


class Design(_Strict):
    """Design operating point of the line (docs/physics.md §1.1)."""

    feed_rate_t_h: float = F(5, 80, "waste throughput [t/h]")
    excess_air_ratio: float = F(1.2, 2.5, "lambda at design [-]")
    primary_air_fraction: float = F(0.3, 0.9, "primary share of total combustion air [-]")
    primary_air_temp_degc: float = F(20, 300, "primary air after the steam-air preheater [degC]")
    secondary_air_temp_degc: float = F(10, 300, "secondary air temperature [degC]")
    ambient_temp_degc: float = F(-30, 45, "ambient air temperature [degC]")


class Grate(_Strict):
    """Moving-grate bed (docs/physics.md §3)."""

    n_cells: int = F(4, 40, "bed cells moving with the grate [-]")
    area_m2: float = F(10, 400, "grate area [m2]")
    residence_design_min: float = F(20, 180, "waste residence on the grate at 100 % speed [min]")
    zone_air_split: tuple[Annotated[float, F(0, 1)], ...] = Field(description="primary-air share of each cell [-], sums to 1")
    bed_cp_j_kg_k: float = F(800, 4000, "specific heat of the bed material [J/kg/K]")
    flame_to_bed_emissivity: float = F(0.05, 1.0, "effective emissivity flame/refractory -> bed [-]")
    drying_temp_degc: float = F(80, 150, "bed temperature at which moisture evaporates [degC]")
    devol_prefactor_1_s: float = F(1.0, 1e8, "Arrhenius pre-factor of devolatilisation [1/s]")
    devol_activation_j_mol: float = F(1e4, 3e5, "activation energy of devolatilisation [J/mol]")
    char_prefactor_1_s: float = F(1.0, 1e8, "Arrhenius pre-factor of char oxidation [1/s]")
    char_activation_j_mol: float = F(1e4, 3e5, "activation energy of char oxidation [J/mol]")
    min_cell_mass_kg: float = F(1, 1000, "mass below which a cell is treated as empty [kg]")
    stoking_conductance_w_k: float = F(0, 1e6, "heat exchange between neighbouring cells by grate mixing [W/K]")
    drying_conductance_w_k: float = F(1e2, 1e7, "heat transfer into the wet part of a cell per K above drying [W/K]")
    volatile_bed_burn_frac: float = F(0, 1, "share of released volatiles that may burn inside the bed (O2 permitting) [-]")
    devol_equivalence_ratio: float = F(0.5, 20, "largest volatile release of a cell relative to what its primary-air O2 can burn (air-limited ignition front) [-]")
    feeder_push_share: float = F(0, 2, "push rate of the feeder ram on the first cells at design feed, relative to the design grate conveyance; it scales with the actual feed, and those cells move at the faster of ram and grate [-]")
    feeder_push_cells: int = F(0, 40, "number of first cells the feeder ram pushes (feeder table, drying and main combustion grate)")
    burnout_cells: int = F(0, 40, "last cells (burnout grate under the rear arch), radiated by the furnace gas rather than the flame")

    @model_validator(mode="after")
    def _split(self):
        if len(self.zone_air_split) != self.n_cells:
            raise ValueError(f"zone_air_split has {len(self.zone_air_split)} values, expected n_cells={self.n_cells}")
        if abs(sum(self.zone_air_split) - 1) > 1e-6 or min(self.zone_air_split) < 0:
            raise ValueError("zone_air_split must be non-negative and sum to 1")
        return self


class Furnace(_Strict):
    """Furnace gas, 2-s zone and raw pollutant formation (docs/physics.md §4)."""

    wall_area_m2: float = F(50, 3000, "membrane-wall area of the furnace and 2-s zone [m2]")
    wall_effective_emissivity: float = F(0.02, 1.0, "gas->wall effective emissivity incl. refractory lining [-]")
    thermocouple_tau_s: float = F(1, 300, "thermocouple first-order lag [s]")
    refractory_tau_s: float = F(10, 7200, "lag of the lining/arch surface temperature behind the flame over the bed [s]")
    o2_analyser_tau_s: float = F(1, 120, "O2 analyser (zirconia, wet) first-order lag [s]")
    co_base_mg_nm3: float = F(0.1, 500, "CO at the reference O2/temperature/mixing [mg/Nm3, 11 % O2 dry]")
    co_ref_o2_dry_pct: float = F(2, 15, "O2 of the CO reference point [vol % dry]")
    co_o2_scale_pct: float = F(0.1, 10, "O2 drop that multiplies CO by e [vol %]")
    co_ref_temp_degc: float = F(700, 1300, "temperature of the CO reference point [degC]")
    co_temp_scale_k: float = F(5, 500, "temperature drop that multiplies CO by e [K]")
    co_ref_secondary_frac: float = F(0.05, 0.8, "secondary-air share of the CO reference point [-]")
    co_mixing_exponent: float = F(0, 5, "CO ~ (reference secondary share / share)^exponent [-]")
    nox_fuel_n_conversion: float = F(0.0, 0.3, "fuel-N to NOx at the reference point [-]")
    nox_ref_temp_degc: float = F(700, 1300, "NOx reference temperature [degC]")
    nox_temp_scale_k: float = F(10, 2000, "temperature rise that multiplies NOx conversion by e [K]")
    nox_ref_o2_dry_pct: float = F(2, 15, "NOx reference O2 [vol % dry]")
    nox_o2_exponent: float = F(0, 3, "NOx conversion ~ (O2/O2_ref)^exponent [-]")
    sncr_max_efficiency: float = F(0, 1, "peak SNCR NOx removal [-]")
    sncr_opt_temp_degc: float = F(800, 1150, "temperature of peak SNCR efficiency [degC]")
    sncr_window_k: float = F(10, 500, "Gaussian half-width of the SNCR temperature window [K]")
    sncr_nsr_k: float = F(0.1, 10, "removal ~ 1 - exp(-k NSR) [-]")
    nh3_oxidation_temp_degc: float = F(900, 1300, "temperature above which excess NH3 burns to NO [degC]")
    nh3_capture_frac: float = F(0, 1, "share of unreacted NH3 retained downstream (ash, filter) [-]")
    flame_failure_heat_release_mw: float = F(0, 100, "waste heat release (bed and flame, burners excluded) below which combustion counts as stopped [MW]")
    flame_failure_detection_s: float = F(1, 3600, "time combustion must stay stopped, with the burners below their holding fire, before the flame-failure trip [s]")
    burner_holding_fire_mw: float = F(0, 100, "auxiliary-burner firing at or above which the burners hold a supervised flame in the furnace (no flame-failure trip) [MW]")


class Drum(_Strict):
    """Drum, risers and downcomers (Åström & Bell 2000)."""

    total_volume_m3: float = F(5, 300, "drum + risers + downcomers [m3]")
    drum_volume_m3: float = F(1, 100, "drum [m3]")
    riser_volume_m3: float = F(1, 200, "risers [m3]")
    downcomer_volume_m3: float = F(0.5, 100, "downcomers [m3]")
    level_area_m2: float = F(1, 100, "drum water-surface area at normal level [m2]")
    metal_mass_kg: float = F(1e4, 2e6, "metal in contact with the saturated mixture [kg]")
    metal_cp_j_kg_k: float = F(400, 600, "specific heat of boiler steel [J/kg/K]")
    circulation_ratio: float = F(3, 50, "downcomer flow / steam generation at design [-]")
    bubble_tau_s: float = F(1, 120, "time constant of steam volume under the level [s]")
    steam_under_level_m3: float = F(0, 20, "steam bubbles below the level at design [m3]")
    design_pressure_mpa: float = F(1, 14, "drum pressure at design [MPa]")
    feedwater_temp_degc: float = F(60, 250, "feedwater after the economiser inlet [degC]")
    trip_level_low_low_mm: float = F(-1000, -50, "low-low level trip [mm]")
    trip_level_high_high_mm: float = F(50, 1000, "high-high level trip [mm]")


class Boiler(_Strict):
    """Convective boiler passes and superheater (docs/physics.md §5)."""

    radiant_exit_temp_degc: float = F(500, 1000, "gas leaving the radiant passes at design [degC]")
    superheater_exit_temp_degc: float = F(350, 800, "gas leaving the superheater at design [degC]")
    exit_temp_degc: float = F(150, 350, "boiler exit gas at design, clean [degC]")
    economiser_sink_temp_degc: float = F(60, 300, "mean water temperature in the economiser [degC]")
    convective_flow_exponent: float = F(0, 1, "UA ~ (gas flow)^n, n = 0.6 for turbulent cross-flow [-]")
    steam_temp_degc: float = F(300, 550, "superheated steam set by attemperation [degC]")
    superheater_pressure_drop_mpa: float = F(0, 1.5, "drum -> turbine pressure drop at design flow [MPa]")
    fouling_rate_per_h: float = F(0, 0.05, "loss of convective UA per hour without soot blowing [-/h]")
    fouling_max: float = F(0, 0.8, "maximum UA loss from fouling [-]")
    soot_blow_interval_h: float = F(0.5, 48, "soot-blowing period [h]")
    soot_blow_recovery: float = F(0, 1, "share of the fouling removed by one soot blow [-]")
    wall_loss_mw: float = F(0, 5, "casing/radiation loss of the boiler at design [MW]")


class Turbine(_Strict):
    """Turbine-generator and own consumption (docs/physics.md §6)."""

    isentropic_efficiency: float = F(0.5, 0.95, "[-]")
    generator_efficiency: float = F(0.9, 0.995, "[-]")
    design_valve_pct: float = F(10, 100, "admission valve at design [%]")
    base_load_mw: float = F(0, 10, "own use independent of load (FGT, cranes, lighting) [MW]")
    id_fan_design_mw: float = F(0, 5, "induced-draught fan at design gas flow [MW], ~ flow^3")
    pa_fan_design_mw: float = F(0, 3, "primary-air fan at design [MW], ~ flow^3")
    sa_fan_design_mw: float = F(0, 3, "secondary-air fan at design [MW], ~ flow^3")
    feed_pump_design_mw: float = F(0, 3, "feedwater pump at design [MW], ~ flow")


class FlueGasTreatment(_Strict):
    """Semi-dry lime, activated carbon, bag filter (docs/physics.md §7)."""

    sulphur_ash_retention: float = F(0, 0.9, "fuel-S retained in bottom ash [-]")
    chlorine_ash_retention: float = F(0, 0.9, "fuel-Cl retained in bottom ash [-]")
    fly_ash_frac: float = F(0, 0.5, "share of ash carried to the filter as fly ash [-]")
    bag_filter_penetration: float = F(1e-6, 0.05, "dust passing the bag filter [-]")
    lime_k_hcl: float = F(0.1, 10, "HCl removal = 1 - exp(-k SR) [-]")
    lime_k_so2: float = F(0.1, 10, "SO2 removal = 1 - exp(-k SR) [-]")
    lime_mixing_tau_s: float = F(10, 1800, "lime transport/reactor lag [s]")
    filter_cake_tau_s: float = F(60, 7200, "filter-cake memory of sorbents [s]")
    dioxin_base_ng_nm3: float = F(0, 50, "raw dioxin proxy at reference combustion [ng TEQ/Nm3]")
    dioxin_de_novo_ng_nm3: float = F(0, 50, "de novo formation at a boiler exit of 350 degC [ng TEQ/Nm3]")
    carbon_k_nm3_per_mg: float = F(0, 1, "dioxin removal = 1 - exp(-k * carbon dose [mg/Nm3]) [-]")


class Cems(_Strict):
    """Stack CEMS as an instrument (docs/physics.md §8.1)."""

    period_s: float = F(1, 120, "sampling period [s]")
    delay_s: float = F(0, 600, "sample line and analyser dead time [s]")
    tau_s: float = F(1, 600, "analyser first-order lag [s]")
    noise_rel: float = F(0, 0.2, "relative Gaussian noise of each reading [-]")


class Hopper(_Strict):
    """Feed hopper and crane (docs/physics.md §3.1)."""

    area_m2: float = F(5, 200, "hopper cross-section [m2]")
    height_m: float = F(2, 30, "usable hopper height [m]")
    grab_t: float = F(1, 30, "waste per crane grab [t]")
    crane_start_level_m: float = F(0.5, 25, "level below which the crane drops a grab [m]")
    crane_cycle_s: float = F(30, 900, "time between grabs when refilling [s]")
    initial_level_m: float = F(0.5, 25, "level at start [m]")


class ActuatorLimits(_Strict):
    """Physical range and rate limit of one actuator.

    All nine actuators are flows, doses, a speed or a burner power, so no bound is negative; the
    upper bounds are checked against the design feed by :data:`ACTUATOR_MAX_PER_DESIGN_FEED`. The
    rate has no upper bound: a rate above the whole range per minute just means no rate limit.
    """

    min: float = F(0, None, "lower bound, in the actuator's unit (the unit is in its name)")
    max: float = F(0, None, "upper bound, in the actuator's unit")
    rate_per_min: float = F(0, None, "largest change per minute, in the actuator's unit")

    @model_validator(mode="after")
    def _order(self):
        if not self.min < self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        return self


class Integration(_Strict):
    """Fixed step of the continuous core (docs/physics.md §0.2)."""

    dt_s: float = F(0.1, 5, "integration step [s]")


#: Largest actuator ``max`` per t/h of design feed (``grate_speed_pct``: absolute, in % of the design
#: speed). Each is several times what a grate line needs, with the reference line's ratio in
#: brackets, so that only a typo or a unit mistake (kg/h for t/h, a missing decimal point) fails:
#: feeder 3x the design throughput (1.44: firing diagrams span ~60-110 % of nominal load); primary
#: and secondary air 15,000 Nm3 per t of design feed (4,160 and 2,560; lambda 2.5 on a high-LHV
#: waste of ~3.5 Nm3/kg stoichiometric air needs ~8,800); feedwater 10 t/t (3.5: steam per tonne
#: of waste is ~2.2 at design and below 5 even for dry high-LHV waste); urea 30 kg/t (8), lime
#: 100 kg/t (25.6), activated carbon 10 kg/t (1.6): several times the ranges of the reference
#: line's dosing; auxiliary burners 3 MW per t/h (0.64: start-up burners are sized for a share of
#: the thermal input, ~2 MW per t/h at 7.2 MJ/kg); grate speed 500 % (160).
ACTUATOR_MAX_PER_DESIGN_FEED: dict[str, float] = {
    "feed_rate_t_h": 3.0, "primary_air_nm3_h": 15_000.0, "secondary_air_nm3_h": 15_000.0,
    "feedwater_t_h": 10.0, "urea_kg_h": 30.0, "lime_kg_h": 100.0, "carbon_kg_h": 10.0, "aux_burner_mw": 3.0,
}
GRATE_SPEED_MAX_PCT = 500.0


class PlantConfig(_Strict):
    """A grate-fired waste-to-energy line. See configs/plants/reference_750tpd.yaml."""

    name: str
    waste: WasteDesign
    design: Design
    grate: Grate
    furnace: Furnace
    drum: Drum
    boiler: Boiler
    turbine: Turbine
    fgt: FlueGasTreatment
    cems: Cems
    hopper: Hopper
    actuators: dict[str, ActuatorLimits]
    integration: Integration

    @model_validator(mode="after")
    def _actuators(self):
        from .units import ACTUATORS

        missing = [a for a in ACTUATORS if a not in self.actuators]
        unknown = [a for a in self.actuators if a not in ACTUATORS]
        if missing or unknown:
            raise ValueError(f"actuators: missing {missing}, unknown {unknown}; expected exactly {list(ACTUATORS)}")
        for name, limits in self.actuators.items():
            per_feed = ACTUATOR_MAX_PER_DESIGN_FEED.get(name)
            ceiling = GRATE_SPEED_MAX_PCT if per_feed is None else per_feed * self.design.feed_rate_t_h
            if limits.max > ceiling:
                rule = "" if per_feed is None else f" ({per_feed:g} per t/h of design feed {self.design.feed_rate_t_h:g} t/h)"
                raise ValueError(f"actuators.{name}.max={limits.max!r}: expected at most {ceiling:g}{rule}")
        return self


# ------------------------------------------------------------------------------ scenario ---
#: Longest scenario and latest event time [h]: 60 days, far beyond the library's longest scenario
#: (fouling_week, 168 h); an event later than this is a typo (e.g. minutes written as hours).
LONGEST_SCENARIO_H = 24 * 60


class WasteVariation(_Strict):
    """Waste the crane brings (docs/physics.md §11.1). Each grab draws moisture and ash."""

    moisture_mean_pct: float = F(20, 65, "mean grab moisture [wt %]")
    moisture_grab_std_pct: float = F(0, 15, "grab-to-grab moisture spread [wt % points]")
    ash_mean_pct: float = F(2, 40, "mean grab ash [wt %]")
    ash_grab_std_pct: float = F(0, 10, "grab-to-grab ash spread [wt % points]")
    mixing_noise_std_pct: float = F(0, 10, "AR(1) hopper-mixing noise on moisture [wt % points]")
    mixing_noise_tau_s: float = F(10, 3600, "correlation time of the mixing noise [s]")
    moisture_drift_pct_per_day: float = F(-20, 20, "linear drift of the mean moisture [points/day]")
    moisture_wave_amplitude_pct: float = F(0, 15, "slow sinusoidal wander of the mean moisture [points]")
    moisture_wave_period_h: float = F(1, 720, "period of that wander [h]")


class Slug(_Strict):
    """A run of unusual grabs (wet slug, bulky/high-LHV slug)."""

    at_h: float = F(0, LONGEST_SCENARIO_H, "time of the first unusual grab [h]")
    grabs: int = F(1, 50, "number of unusual grabs")
    moisture_pct: float = F(10, 70, "their moisture [wt %]")
    ash_pct: float = F(2, 50, "their ash [wt %]")


class TimedEvent(_Strict):
    """An event with a start and a duration."""

    at_h: float = F(0, LONGEST_SCENARIO_H, "start [h]")
    duration_min: float = F(0, 60 * LONGEST_SCENARIO_H, "duration [min]")


class Drift(_Strict):
    """A sensor drifting linearly from a start time."""

    at_h: float = F(0, LONGEST_SCENARIO_H, "start [h]")
    # Thermocouples age by tens of kelvin between calibrations (thermocouple_drift: 2.5 K/h
    # compresses that into a day); 100 K/h would be a broken sensor within hours, not a drift.
    rate_per_h: float = F(-100, 100, "drift per hour, in the channel's unit (the furnace thermocouple: K/h)")


class Step(_Strict):
    """A step of the turbine admission valve (steam demand) [%]."""

    at_h: float = F(0, LONGEST_SCENARIO_H, "time [h]")
    valve_pct: float = F(10, 100, "new valve opening [%]")


class SetpointStep(_Strict):
    """A step of the steam-flow setpoint (steam demand of the turbine or a heat customer)."""

    at_h: float = F(0, LONGEST_SCENARIO_H, "time [h]")
    steam_t_h: float = F(1, 300, "new steam-flow setpoint [t/h]")


class Forecast(_Strict):
    """Crane imaging: a noisy estimate of the moisture of the waste about to be fed.

    Each grab's moisture is estimated once, when the crane picks it, with an independent
    Gaussian error; the forecast is the mass-weighted mean of these estimates over the waste
    the feeder takes in the next ``horizon_min`` at its current rate (see ``sim.Plant``).
    """

    noise_std_pct: float = F(0, 20, "std of one grab's moisture estimate error [wt % points]")
    horizon_min: float = F(1, 240, "feed time the forecast looks ahead at the current feed rate [min]")


class ScenarioConfig(_Strict):
    """A named scenario: waste, disturbances, faults, demand, duration and seeds."""

    name: str
    description: str
    duration_h: float = F(0.01, LONGEST_SCENARIO_H, "default episode length [h]: 36 s up to 60 days")
    train_seeds: tuple[int, ...]
    test_seeds: tuple[int, ...]
    steam_setpoint_t_h: float | None = F(1, 300, "steam-flow setpoint; None = the plant's design steam")
    waste: WasteVariation
    slugs: tuple[Slug, ...] = ()
    bridging: tuple[TimedEvent, ...] = ()
    cems_outages: tuple[TimedEvent, ...] = ()
    thermocouple_drift: Drift | None = None
    valve_steps: tuple[Step, ...] = ()
    steam_setpoint_steps: tuple[SetpointStep, ...] = ()
    forecast: Forecast | None = None
    fouling_rate_scale: float = F(0, 20, "multiplies the plant's fouling rate [-]")
    soot_blowing: bool = True

    @model_validator(mode="after")
    def _seeds(self):
        overlap = set(self.train_seeds) & set(self.test_seeds)
        if overlap:
            raise ValueError(f"train_seeds and test_seeds overlap in {sorted(overlap)}")
        return self


# -------------------------------------------------------------------------------- loading ---
def format_errors(err: ValidationError, source: str) -> str:
    """The project's one wording of a validation error, on one line:
    ``invalid config SOURCE: FIELD: what was expected (got VALUE); FIELD: ...``."""
    problems = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "(top level)"
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            problems.append(f"{field}: unknown key (value {value!r})")
        elif e["type"] == "missing":
            problems.append(f"{field}: missing")
        else:  # a section-level rule (a validator) names its values itself: no dump of the section
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(f"{field}: {msg}" if isinstance(value, (dict, list, tuple)) else f"{field}: {msg} (got {value!r})")
    return f"invalid config {source}: " + "; ".join(problems)


def read_yaml(path: str | Path, what: str = "config", loader: type = yaml.SafeLoader):
    """The YAML data of the text file at ``path`` (``what`` names it in errors: "config", "tag map").

    ConfigError naming the file and what was expected when the path does not exist, is not a
    regular file (a folder, a device), holds a NUL byte (a binary file), is not UTF-8 (a BOM is
    allowed) or is not valid YAML (with the line and column). ``loader`` is a safe loader class
    (``yaml.SafeLoader`` or a subclass): never one that builds Python objects.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{what} {path} does not exist: expected a UTF-8 YAML file")
    if not path.is_file():
        raise ConfigError(f"{what} {path} is not a regular file: expected a UTF-8 YAML file")
    raw = path.read_bytes()
    nul = raw.find(b"\0")
    if nul >= 0:
        raise ConfigError(f"{what} {path} is a binary file (NUL byte at offset {nul}): expected a UTF-8 YAML text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{what} {path} is not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start}): "
                          "expected a UTF-8 YAML text file") from None
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader (sub)class, see above
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{what} {path} is not valid YAML{where}: {problem}") from None


def _resolve(kind: str, name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    candidate = CONFIG_ROOT / kind / f"{name_or_path}.yaml"
    if candidate.exists():
        return candidate
    known = sorted(p.stem for p in (CONFIG_ROOT / kind).glob("*.yaml"))
    raise ConfigError(f"unknown {kind[:-1]} {str(name_or_path)!r}: expected a YAML path or one of {known}")


def _load(model: type[BaseModel], kind: str, name_or_path: str | Path | dict, overrides: dict | None):
    if isinstance(name_or_path, dict):
        data, source = dict(name_or_path), "<dict>"
    else:
        path = _resolve(kind, name_or_path)
        data, source = read_yaml(path, kind[:-1] + " config"), str(path)
        if not isinstance(data, dict):
            raise ConfigError(f"invalid config {source}: expected a mapping at the top level")
    if overrides:
        data = _deep_merge(data, overrides)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_errors(err, source)) from None


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_plant(name_or_path: str | Path | dict = "reference_750tpd", overrides: dict | None = None) -> PlantConfig:
    """Load and validate a plant config by name (configs/plants/NAME.yaml), path or dict."""
    if isinstance(name_or_path, PlantConfig):
        return name_or_path
    return _load(PlantConfig, "plants", name_or_path, overrides)


def load_scenario(name_or_path: str | Path | dict = "steady_design", overrides: dict | None = None) -> ScenarioConfig:
    """Load and validate a scenario config by name (configs/scenarios/NAME.yaml), path or dict.

    ``"from_log:DIR"`` loads the waste estimated from a plant log (``scripts/replay.py estimate``).
    """
    if isinstance(name_or_path, ScenarioConfig):
        return name_or_path
    if isinstance(name_or_path, str) and name_or_path.startswith(FROM_LOG_PREFIX):
        name_or_path = from_log_scenario_path(name_or_path)
    return _load(ScenarioConfig, "scenarios", name_or_path, overrides)


#: Scenario names with this prefix name a folder written by ``scripts/replay.py estimate``.
FROM_LOG_PREFIX = "from_log:"


def from_log_scenario_path(name: str) -> Path:
    """The scenario YAML behind ``from_log:PATH``: PATH is a folder written by
    :func:`sim.replay.estimate.write_scenario` (``scripts/replay.py estimate --out DIR``) or
    its ``scenario.yaml``. FileNotFoundError naming PATH otherwise."""
    spec = name[len(FROM_LOG_PREFIX):]
    path = Path(spec)
    if path.is_dir():
        path = path / "scenario.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"scenario {name!r}: expected a folder written by 'scripts/replay.py estimate' "
                                f"(holding scenario.yaml) or that YAML file; {spec!r} is neither")
    return path


def to_dict(cfg: BaseModel) -> dict[str, Any]:
    """Plain-data form of a config (for run folders and pickling)."""
    return cfg.model_dump(mode="json")

