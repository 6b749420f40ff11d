"""Plant parameters that a log can calibrate, and how each enters a simulation.

Each :class:`Parameter` maps one number onto plant-config overrides, scenario overrides or a
correction of the logged commands (what the plant receives is not always what the DCS logged):

==========================  ======  ==================================================================
name                        unit    meaning
==========================  ======  ==================================================================
``moisture_bias_pct``       %-pt    waste moisture above the scenario's mean (the LHV bias: about
                                    -0.26 MJ/kg per point for the reference waste, see
                                    :func:`lhv_bias_mj_kg`)
``wall_emissivity``         -       furnace gas -> wall effective emissivity (heat-transfer factor)
``thermocouple_tau_s``      s       furnace thermocouple lag (time constant)
``o2_analyser_tau_s``       s       O2 analyser lag (time constant)
``fouling_rate_per_h``      1/h     convective UA loss rate (fouling factor)
``air_leak_frac``           -       air entering unmetered (tramp air, fan-meter bias): the plant gets
                                    ``logged air * (1 + air_leak_frac)``, primary and secondary
``gain_<actuator>``         -       the plant gets ``logged command * gain``: the fitted map of a command
                                    logged as % of travel or damper position (e.g.
                                    ``gain_feed_rate_t_h``; one per actuator of :mod:`sim.units`)
==========================  ======  ==================================================================
"""
from __future__ import annotations

from dataclasses import dataclass

from sim.config import PlantConfig, ScenarioConfig
from sim.subsystems.waste import make_fuel
from sim.units import ACTUATORS

AIR_COMMANDS = ("primary_air_nm3_h", "secondary_air_nm3_h")


@dataclass(frozen=True)
class Parameter:
    name: str
    unit: str
    lo: float
    hi: float
    path: tuple[str, ...] | None  # plant-config field, or None for a scenario/command parameter
    scale: float                  # typical size of a correction (the optimiser's unit step)
    needs: tuple[str, ...]        # logged measurements that carry information about it (any one)
    description: str
    neutral: float = 0.0          # value of a scenario/command parameter that changes nothing

    def nominal(self, plant: PlantConfig) -> float:
        """The value the unperturbed plant config (or a clean log) implies."""
        if self.path is None:
            return self.neutral
        section = getattr(plant, self.path[0])
        return float(getattr(section, self.path[1]))


PARAMETERS: dict[str, Parameter] = {p.name: p for p in (
    Parameter("moisture_bias_pct", "%-points", -10.0, 10.0, None, 1.0,
              ("steam_flow_t_h", "o2_wet_vol_pct", "gross_power_mw"), "waste moisture above the scenario mean"),
    Parameter("wall_emissivity", "-", 0.03, 0.4, ("furnace", "wall_effective_emissivity"), 0.01,
              ("furnace_temp_degc",), "furnace heat transfer"),
    Parameter("thermocouple_tau_s", "s", 2.0, 300.0, ("furnace", "thermocouple_tau_s"), 10.0,
              ("furnace_temp_degc",), "thermocouple lag"),
    Parameter("o2_analyser_tau_s", "s", 2.0, 120.0, ("furnace", "o2_analyser_tau_s"), 5.0,
              ("o2_wet_vol_pct",), "O2 analyser lag"),
    Parameter("fouling_rate_per_h", "1/h", 0.0, 0.05, ("boiler", "fouling_rate_per_h"), 0.002,
              ("boiler_exit_temp_degc",), "boiler fouling rate"),
    Parameter("air_leak_frac", "-", -0.2, 0.4, None, 0.02, ("o2_wet_vol_pct",), "unmetered air share"),
    *(Parameter(f"gain_{a}", "-", 0.5, 2.0, None, 0.02, ("steam_flow_t_h", "o2_wet_vol_pct", "furnace_temp_degc"),
                f"command {a} as received / as logged", neutral=1.0) for a in ACTUATORS),
)}


def check_names(names) -> list[str]:
    """Validate parameter names (ValueError naming the unknown ones and the known ones)."""
    names = list(names)
    unknown = [n for n in names if n not in PARAMETERS]
    if unknown or not names:
        raise ValueError(f"calibration parameters {unknown or names}: expected some of {list(PARAMETERS)}")
    return names


def overrides(values: dict[str, float], scenario: ScenarioConfig) -> tuple[dict, dict, dict[str, float]]:
    """(plant overrides, scenario overrides, command gains {actuator: factor}) for parameter values."""
    plant_over: dict = {}
    scen_over: dict = {}
    gains: dict[str, float] = {}
    for name, v in values.items():
        p = PARAMETERS[name]
        if p.path is not None:
            plant_over.setdefault(p.path[0], {})[p.path[1]] = float(v)
        elif name.startswith("gain_"):
            actuator = name[len("gain_"):]
            gains[actuator] = gains.get(actuator, 1.0) * float(v)
        elif name == "air_leak_frac":
            for a in AIR_COMMANDS:
                gains[a] = gains.get(a, 1.0) * (1.0 + float(v))
    if "moisture_bias_pct" in values:
        scen_over = {"waste": {"moisture_mean_pct": scenario.waste.moisture_mean_pct + float(values["moisture_bias_pct"])}}
    return plant_over, scen_over, gains


def lhv_bias_mj_kg(plant: PlantConfig, scenario: ScenarioConfig, moisture_bias_pct: float) -> float:
    """LHV change [MJ/kg] of the scenario's mean waste for a moisture bias (ash fraction kept)."""
    fuel = make_fuel(plant.waste)
    m, a = scenario.waste.moisture_mean_pct / 100.0, scenario.waste.ash_mean_pct / 100.0
    return (fuel.lhv_j_kg(m + moisture_bias_pct / 100.0, a) - fuel.lhv_j_kg(m, a)) / 1e6
