"""Bed transport never runs backwards: no mass in any grate cell goes negative (docs/physics.md §3.2).

The grate bars convey every cell at the grate speed; on the first cells the ram pushes too, at a
rate proportional to the waste it actually delivers, and the bed there moves at the faster of the
two. Checked here: the transport shares are in [0, 1] for any rates and step; the plant under
random action sequences (feed stops included, hypothesis, derandomized so CI is deterministic);
feed stops of 20, 30 and 40 min with the grate slowed to 20 % (what an operator does) and under
the rule-based ACC; and that a feed stop no longer freezes the first cells.
"""
from __future__ import annotations

import math

import gymnasium as gym
import pytest
from conftest import QUIET, LevelHold
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agents
import sim
from sim.config import load_scenario
from sim.subsystems import grate

MASS_ROWS = slice(grate.WATER, grate.ASH + 1)


def bed_min_kg(plant: sim.Plant) -> float:
    """The smallest water, volatile, char or ash mass of any cell [kg]."""
    return float(plant.state.bed[0, MASS_ROWS].min())


@settings(max_examples=200, derandomize=True, deadline=None)
@given(grate_rate=st.floats(-1.0, 1.0), ram_rate=st.floats(-1.0, 1.0), dt_s=st.floats(0.0, 1e4))
def test_transport_shares_are_in_0_1_and_the_pushed_cells_move_at_least_with_the_grate(grate_rate, ram_rate, dt_s):
    frac_grate, frac_pushed = grate.transport_fractions(grate_rate, ram_rate, dt_s)
    assert 0.0 <= frac_grate <= frac_pushed <= 1.0
    assert frac_grate == pytest.approx(1.0 - math.exp(-max(grate_rate, 0.0) * dt_s))


@pytest.fixture(scope="module")
def design_plant():
    plant = sim.Plant.from_config(seed=0)
    return plant, plant.snapshot()


#: One segment of an action sequence: (duration [s], feed [t/h] (a feed stop one time in four),
#: grate speed [%], primary air [Nm3/h], secondary air [Nm3/h], burners [MW]); actuator ranges
#: of the reference plant (docs/physics.md §1.3).
SEGMENT = st.tuples(st.floats(10.0, 900.0), st.one_of(st.just(0.0), st.floats(0.0, 45.0), st.floats(0.0, 45.0),
                                                        st.floats(0.0, 45.0)),
                    st.floats(20.0, 160.0), st.floats(10_000.0, 130_000.0), st.floats(5_000.0, 80_000.0),
                    st.floats(0.0, 20.0))


@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segments=st.lists(SEGMENT, min_size=1, max_size=6))
def test_no_bed_mass_goes_negative_under_random_action_sequences(design_plant, segments):
    plant, snap = design_plant
    plant.restore(snap)
    hold = LevelHold(plant)
    for duration, feed, grate_pct, pa, sa, aux in segments:
        plant.set_actuators({"feed_rate_t_h": feed, "grate_speed_pct": grate_pct, "primary_air_nm3_h": pa,
                             "secondary_air_nm3_h": sa, "aux_burner_mw": aux})
        for _ in range(max(int(duration // 30.0), 1)):
            hold(30.0)
            plant.advance(30.0)
            assert bed_min_kg(plant) >= 0.0, (plant.time_s, plant.state.bed[0, MASS_ROWS])
            if plant.trip is not None:
                return


@pytest.mark.parametrize("stop_min", [20, 30, 40])
def test_a_feed_stop_with_the_grate_slowed_to_20_pct_keeps_every_mass_non_negative(design_plant, stop_min):
    """The operator's move: feed to 0, grate to its 20 % minimum and the burners to full fire;
    then feed and grate back to design, the burners kept on. The burners hold the flame once the
    bed has burnt out, so it runs through (without them a 30-min stop burns the bed out and
    trips on flame failure)."""
    plant, snap = design_plant
    plant.restore(snap)
    hold, design, masses = LevelHold(plant), plant.design_actuators, []
    for feed, grate_pct, aux, minutes in ((0.0, 20.0, 20.0, stop_min), (design["feed_rate_t_h"], 100.0, 20.0, 20)):
        plant.set_actuators({"feed_rate_t_h": feed, "grate_speed_pct": grate_pct, "aux_burner_mw": aux})
        for _ in range(minutes * 6):
            hold(10.0)
            plant.advance(10.0)
            masses.append(bed_min_kg(plant))
    assert min(masses) >= 0.0
    assert plant.trip is None


def test_a_feed_stop_does_not_freeze_the_pushed_cells(design_plant):
    """At feed 0 the grate bars carry the first cell on at the grate speed: its ash (which
    neither burns nor evaporates) falls as exp(-k t), k = n_cells / residence x grate speed."""
    plant, snap = design_plant
    plant.restore(snap)
    plant.state.plant[0]["actuator"][0] = 0.0  # feed stopped at once (no ramp)
    plant.set_actuators({"feed_rate_t_h": 0.0})
    cp = plant.model.model.ph.cp
    ash0 = float(plant.state.bed[0, grate.ASH, 0])
    plant.advance(600.0)
    k = cp.n_cells / cp.residence_s
    assert plant.state.bed[0, grate.ASH, 0] == pytest.approx(ash0 * math.exp(-k * 600.0), rel=1e-9)


def _bridge_scenario(stop_min: float) -> dict:
    s = load_scenario("steady_design", QUIET).model_dump()
    s.update(name=f"feed_stop_{stop_min}", bridging=[{"at_h": 0.1, "duration_min": float(stop_min)}],
             duration_h=0.1 + (stop_min + 20.0) / 60.0)
    return s


@pytest.mark.parametrize("stop_min", [20, 30, 40])
def test_a_feed_stop_under_the_rule_based_acc_keeps_every_mass_non_negative(stop_min):
    """A hopper bridge of 20-40 min under the rule-based ACC (which stops feeding by itself only
    when the bridge clears): before the fix the 30- and 40-min stops drove cells to -24 / -37 kg."""
    env = gym.make("WtE/Incinerator-v0", scenario=_bridge_scenario(stop_min))
    controller = agents.make_controller("rule_based", env)
    obs, info = env.reset(seed=1000)
    controller.reset(1000)
    plant, masses, done = env.unwrapped.plant, [], False
    while not done:
        obs, _, terminated, truncated, info = env.step(controller.act(obs, info))
        masses.append(bed_min_kg(plant))
        done = terminated or truncated
    assert min(masses) >= 0.0
    assert plant.time_s >= (0.1 * 60 + stop_min) * 60.0  # ran through the stop (a trip would end it early)
