"""``WtE/Incinerator-v0`` batched: N plants stepped in one call, identical to N single envs.

    envs = gymnasium.make_vec("WtE/Incinerator-v0", num_envs=256, vectorization_mode="vector_entry_point",
                              scenario="steady_design", episode_hours=6)
    obs, infos = envs.reset(seed=0)            # env i gets seed 0 + i, as SyncVectorEnv does
    obs, rewards, terminated, truncated, infos = envs.step(actions)   # actions: (256, 9) in [-1, 1]

:class:`IncineratorVectorEnv` takes the keyword arguments of :class:`IncineratorEnv` (same
validation, spaces and defaults; ``render_mode`` must be None). Observations, rewards,
terminations, truncations and infos are bit for bit those of
``gymnasium.make_vec(..., vectorization_mode="sync")`` with the same seeds and actions
(``tests/test_vector.py``), including the autoreset modes of gymnasium 1.x (keyword
``autoreset_mode``, an ``AutoresetMode`` or its value): ``NEXT_STEP`` (default: the step after an episode ends resets that plant
and returns its reset observation, reward 0, not terminated nor truncated, and its reset info) or
``SAME_STEP`` (the ending step already returns the reset observation and info, with the last
observation and info in ``infos["final_obs"]``/``infos["final_info"]``: the form Stable-Baselines3
expects), and ``reset(seed=None)`` (each plant's seed is drawn from its own ``np_random``, as the
single env does). Infos are the SyncVectorEnv layout: per key an array over the envs plus a
``_key`` mask.

How: the plants live in a :class:`sim.batch.PlantBatch` (all continuous cores and discrete
events of all plants in one compiled call); measurements, reward terms, observation and truth of
every plant are formed in a second compiled function with the single env's floating-point
operations in its order (numpy's pairwise summation included). Python runs per call, not per
plant, except when a plant resets (about 0.5 ms each, once per episode).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numba import njit

from .. import core
from ..batch import D_NORMAL_POS, D_NOW, D_SETPOINT_T_H, D_TC_RATE, D_TC_START, PlantBatch
from ..subsystems import stack, turbine
from ..subsystems.grate import CHAR
from ..subsystems.waste import AUX_FUEL_LHV_J_KG, LATENT_HEAT_25C_J_KG
from ..units import ACTUATORS, MEASUREMENTS, NM3_PER_KMOL, TRUTH
from .incinerator import _DAY_S, OBS_CLIP, IncineratorEnv, to_action
from .reward import EMISSION_LIMITS_1H_MG_NM3, FURNACE_MIN_TEMP_DEGC, TERMS

__all__ = ["IncineratorVectorEnv"]

_N_MEAS, _N_ACT, _N_TERMS, _N_TRUTH = len(MEASUREMENTS), len(ACTUATORS), len(TERMS), len(TRUTH)
_POLLUTANTS = tuple(EMISSION_LIMITS_1H_MG_NM3)
_POLLUTANT_INDEX = np.array([MEASUREMENTS.index(f"{p}_mg_nm3") for p in _POLLUTANTS])
_INV_LIMITS = np.array([1.0 / EMISSION_LIMITS_1H_MG_NM3[p] for p in _POLLUTANTS])
_LIMITS = np.array([EMISSION_LIMITS_1H_MG_NM3[p] for p in _POLLUTANTS])
#: Bit of each pollutant in an exceedance code, and the pollutant names of every code.
_POLLUTANT_BITS = 1 << np.arange(len(_POLLUTANTS))
_EXCEEDED = [tuple(p for k, p in enumerate(_POLLUTANTS) if code >> k & 1) for code in range(1 << len(_POLLUTANTS))]
_I_UREA, _I_LIME, _I_CARBON, _I_AUX = (ACTUATORS.index(a) for a in ("urea_kg_h", "lime_kg_h", "carbon_kg_h",
                                                                     "aux_burner_mw"))
_WEIGHT_FIELDS = TERMS + ("urea_cny_per_kg", "lime_cny_per_kg", "carbon_cny_per_kg", "aux_fuel_cny_per_kg",
                          "electricity_cny_per_kwh")
#: Row modes of the output kernel.
_IDLE, _STEPPED, _RESET = 0, 1, 2


@njit(cache=True)
def _pairwise_sum(a):
    """``a.sum()`` of a 1-D float64 array of at most 128 elements, in numpy's order (pairwise
    with eight accumulators), so sums match numpy bit for bit."""
    n = a.shape[0]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r = a[:8].copy()
    i = 8
    while i < n - n % 8:
        for j in range(8):
            r[j] += a[i + j]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[i]
        i += 1
    return res


@njit(cache=True)
def _upcoming_mean(x, hopper, per_slot, horizon_min):
    """``Plant._upcoming_mean``."""
    left_kg = x[core.A_FEED] / 3.6 * horizon_min * 60.0
    head, count = int(x[core.X_HOP_HEAD]), int(x[core.X_HOP_COUNT])
    total_kg = 0.0
    weighted = 0.0
    for i in range(count):
        slot = (head + i) % core.HOPPER_SLOTS
        part = min(hopper[slot, 0], left_kg) if i else hopper[slot, 0]
        if i and part <= 0.0:
            break
        total_kg += part
        weighted += part * per_slot[slot]
        left_kg -= part
    return weighted / total_kg if total_kg > 0.0 else math.nan


@njit(cache=True)
def _outputs(mode, X, Y, D, BED, HOP, EST, STACK, POWER, READ, U, ACT, LAST, CMD, TRIP_BEFORE, NORMALS,
             consts, w, ref, inv_scale, M, T, R, REW, OBS, TERM, TRUNC, diff):
    """Measurements (M), truth (T), reward terms (R), reward, observation, termination and
    truncation of every row with ``mode`` _STEPPED (after a step) or _RESET (after a reset), as
    ``IncineratorEnv.step``/``reset`` form them."""
    (area_density, lhv_hhv_daf, lhv_h_daf, fw_h, design_net, episode_s, noise_std, forecast_h_min,
     has_forecast) = consts
    n_norm = ref.shape[0]
    v = np.empty(n_norm)
    for i in range(X.shape[0]):
        if mode[i] == _IDLE:
            continue
        x, y, d, m = X[i], Y[i], D[i], M[i]
        st, pw, rd = STACK[i], POWER[i], READ[i]
        now = d[D_NOW]
        # Plant.measurements
        drift = 0.0
        if d[D_TC_START] == d[D_TC_START]:
            drift = d[D_TC_RATE] * (now - d[D_TC_START]) / 3600.0
        gas = y[core.Y_N2] + y[core.Y_O2] + y[core.Y_CO2] + y[core.Y_H2O]
        m[0] = y[core.Y_STEAM_TURBINE_KG_S] * 3.6
        m[1] = x[core.X_P]
        m[2] = y[core.Y_LEVEL_M] * 1000.0
        m[3] = pw[turbine.P_STEAM_T_DEGC]
        m[4] = x[core.X_TC] - 273.15 + drift
        m[5] = x[core.X_O2A]
        for k in range(6):
            m[6 + k] = rd[k]
        m[12] = gas * NM3_PER_KMOL * 3600.0
        m[13] = y[core.Y_T_EXIT_K] - 273.15
        m[14] = x[core.X_HOP_MASS] / area_density
        m[15] = pw[turbine.P_GROSS_MW]
        m[16] = pw[turbine.P_NET_MW]
        setpoint = d[D_SETPOINT_T_H]
        # reward_terms (sim.envs.reward) and the step's bookkeeping
        r = R[i]
        if mode[i] == _STEPPED:
            cmd, act, last = CMD[i], ACT[i], LAST[i]
            excess = 0.0
            for k in range(_POLLUTANT_INDEX.shape[0]):
                e = m[_POLLUTANT_INDEX[k]] * _INV_LIMITS[k] - 1.0
                if e > 0.0:
                    excess += e
            revenue = design_net * 1000.0 * w[11]
            aux_kg_h = cmd[_I_AUX] * 3.6e9 / AUX_FUEL_LHV_J_KG
            cost = cmd[_I_UREA] * w[7] + cmd[_I_LIME] * w[8] + cmd[_I_CARBON] * w[9] + aux_kg_h * w[10]
            for k in range(_N_ACT):
                diff[k] = abs(act[k] - last[k])
            tripped = x[core.X_TRIP] != core.TRIP_NONE
            r[0] = -w[0] * abs(m[0] - setpoint) / setpoint
            r[1] = w[1] * m[16] / design_net
            r[2] = -w[2] * excess
            r[3] = -w[3] if m[4] < FURNACE_MIN_TEMP_DEGC else 0.0
            r[4] = -w[4] * cost / revenue
            r[5] = -w[5] * _pairwise_sum(diff)
            r[6] = -w[6] if (tripped and not TRIP_BEFORE[i]) else 0.0
            total = 0.0
            for k in range(_N_TERMS):
                total += r[k]
            REW[i] = total
            for k in range(_N_ACT):
                last[k] = act[k]
            TERM[i] = tripped
            TRUNC[i] = now >= episode_s - 1e-6
        else:
            r[:] = 0.0
            REW[i] = 0.0
            TERM[i] = False
            TRUNC[i] = False
        # IncineratorEnv._observation
        for k in range(_N_MEAS):
            v[k] = m[k]
        v[_N_MEAS] = setpoint
        if has_forecast:
            f = _upcoming_mean(x, HOP[i], EST[i], forecast_h_min)
            v[_N_MEAS + 1] = f if f == f else ref[_N_MEAS + 1]
        for k in range(n_norm):
            v[k] = (v[k] - ref[k]) * inv_scale[k]
        if noise_std > 0.0:
            normals, pos = NORMALS[i], int(d[D_NORMAL_POS])
            for k in range(_N_MEAS):
                v[k] += noise_std * normals[pos + k]
            d[D_NORMAL_POS] = pos + _N_MEAS
        obs = OBS[i]
        for k in range(n_norm):
            obs[k] = max(min(v[k], OBS_CLIP), -OBS_CLIP)
        phase = 2.0 * math.pi * now / _DAY_S
        obs[n_norm] = math.sin(phase)
        obs[n_norm + 1] = math.cos(phase)
        for k in range(_N_ACT):
            obs[n_norm + 2 + k] = LAST[i, k]
        # Plant.truth
        t = T[i]
        moisture = min(max(y[core.Y_FEED_MOISTURE] + x[core.X_MIXNOISE], 0.05), 0.75)
        ash = y[core.Y_FEED_ASH]
        dc, da = y[core.Y_DISCHARGE_CHAR_KG_S], y[core.Y_DISCHARGE_ASH_KG_S]
        fired_w = y[core.Y_HEAT_RELEASE_W] - y[core.Y_WATER_EVAP_KG_S] * LATENT_HEAT_25C_J_KG
        steam_w = (y[core.Y_STEAM_TURBINE_KG_S] * y[core.Y_H_STEAM_J_KG]
                   - (y[core.Y_STEAM_DRUM_KG_S] - y[core.Y_PREHEAT_STEAM_KG_S] + y[core.Y_SPRAY_KG_S]) * fw_h)
        c = 1.0 - moisture - ash  # Fuel.lhv_j_kg
        t[0] = (c * lhv_hhv_daf - LATENT_HEAT_25C_J_KG * (9.0 * lhv_h_daf * c + moisture)) / 1e6
        t[1] = moisture * 100.0
        t[2] = _pairwise_sum(BED[i, CHAR])
        t[3] = 100.0 * dc / (dc + da) if dc + da > 0 else 0.0
        t[4] = y[core.Y_T_FURNACE_K] - 273.15
        t[5] = st[stack.S_O2_DRY]
        t[6] = x[core.X_FOUL]
        t[7] = y[core.Y_HEAT_RELEASE_W] / 1e6
        t[8] = st[stack.S_DIOXIN]
        t[9] = setpoint
        t[10] = y[core.Y_FEED_KG_S] * 3.6
        t[11] = x[core.ACC_WASTE_KG] / 1000.0
        t[12] = x[core.ACC_AUX_J] / 3.6e9
        t[13] = steam_w / fired_w if fired_w > 0 else 0.0
        t[14] = x[core.X_VALVE]
        t[15] = x[core.X_TFLAME] - 273.15


class IncineratorVectorEnv(VectorEnv):
    """N ``WtE/Incinerator-v0`` plants in one batch (see the module docstring).

    ``IncineratorVectorEnv(num_envs, **kwargs)``: ``kwargs`` as :class:`IncineratorEnv`
    (``plant``, ``scenario``, ``control_interval_s``, ``episode_hours``, ``reward_weights``,
    ``observation_noise``); ``render_mode`` must be None; ``autoreset_mode``:
    ``AutoresetMode.NEXT_STEP`` (default) or ``AutoresetMode.SAME_STEP`` (or their values). ``actions``: array of shape
    ``(num_envs, 9)`` in [-1, 1] (clipped); a wrong shape or NaN raises ValueError naming the env.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int, autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP, **kwargs: Any):
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs={num_envs!r}: expected an integer >= 1")
        modes = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP)
        try:
            self.autoreset_mode = AutoresetMode(autoreset_mode)
        except ValueError:
            self.autoreset_mode = None
        if self.autoreset_mode not in modes:
            raise ValueError(f"autoreset_mode={autoreset_mode!r}: expected one of {[m.value for m in modes]}")
        self.metadata = {**type(self).metadata, "autoreset_mode": self.autoreset_mode}
        if kwargs.get("render_mode") is not None:
            raise ValueError(f"render_mode={kwargs['render_mode']!r}: the batched env has no rendering; expected None")
        kwargs.pop("render_mode", None)
        tmpl = self._single = IncineratorEnv(**kwargs)  # validation, spaces, normalisation
        self.num_envs = n = int(num_envs)
        self.render_mode = None
        self.single_action_space = tmpl.action_space
        self.single_observation_space = tmpl.observation_space
        self.action_space = batch_space(self.single_action_space, n)
        self.observation_space = batch_space(self.single_observation_space, n)
        self.observation_names = tmpl.observation_names
        self.control_interval_s = tmpl.control_interval_s
        self.batch = b = PlantBatch(tmpl._plant_cfg, tmpl._scenario_cfg, n)
        fuel, bp = b.factory._b.fuel, b.factory._b.boiler_params
        fc = tmpl._scenario_cfg.forecast
        self._consts = (b.ep.area_density_kg_m, float(fuel.hhv_daf_j_kg), float(fuel.h_daf),
                        float(bp.feedwater_h_j_kg), float(tmpl._design_net_power_mw), float(tmpl._episode_s),
                        float(tmpl.observation_noise), float(fc.horizon_min) if fc is not None else 0.0, fc is not None)
        self._weights = np.array([getattr(tmpl.reward_weights, f) for f in _WEIGHT_FIELDS], dtype=float)
        self._lower, self._upper, self._half_range = tmpl._lower, tmpl._upper, tmpl._half_range
        self._design_action = None
        self._obs_normals = _N_MEAS if tmpl.observation_noise > 0.0 else 0  # drawn after each step
        self._np_randoms: list[np.random.Generator | None] = [None] * n
        self._mode = np.zeros(n, dtype=np.int64)
        self._act = np.zeros((n, _N_ACT))
        self._last = np.zeros((n, _N_ACT))
        self._cmd = np.zeros((n, _N_ACT))
        self._trip_before = np.zeros(n, dtype=bool)
        self._m = np.zeros((n, _N_MEAS))
        self._truth = np.zeros((n, _N_TRUTH))
        self._terms = np.zeros((n, _N_TERMS))
        self._rewards = np.zeros(n)
        self._obs = np.zeros((n,) + self.single_observation_space.shape, dtype=np.float32)
        self._terminated = np.zeros(n, dtype=bool)
        self._truncated = np.zeros(n, dtype=bool)
        self._autoreset = np.zeros(n, dtype=bool)
        self._diff = np.zeros(_N_ACT)
        self._entry = None
        self._started = False

    # ------------------------------------------------------------------ gym API ---
    def reset(self, *, seed: int | list[int | None] | None = None, options: dict | None = None):
        """Reset every plant. ``seed``: None, an int (env i gets ``seed + i``) or a list of
        ``num_envs`` ints or None, as ``SyncVectorEnv.reset``. No options are taken."""
        if options:
            raise ValueError(f"reset(options={options!r}): this environment takes no options")
        n = self.num_envs
        if seed is None:
            seeds = [None] * n
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            seeds = [int(seed) + i for i in range(n)]
        else:
            seeds = list(seed)
            if len(seeds) != n:
                raise ValueError(f"reset(seed=...): expected {n} seeds (num_envs), got {len(seeds)}")
        if seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(seeds[0])
        self._mode[:] = _RESET
        for i, s in enumerate(seeds):
            self._reset_plant(i, s)
        self._started = True
        self._run_outputs()
        self._autoreset[:] = False
        return self._obs.copy(), self._infos()

    def step(self, actions):
        if not self._started:
            raise RuntimeError("IncineratorVectorEnv: call reset() before step()")
        a = np.asarray(actions, dtype=float)
        if a.shape != self._act.shape:
            raise ValueError(f"actions: expected shape {self._act.shape} (num_envs, {list(ACTUATORS)}), got {a.shape}")
        resetting = self._autoreset
        act = self._act
        np.minimum(a, 1.0, out=act)
        np.maximum(act, -1.0, out=act)
        bad = np.isnan(act.sum(axis=1)) & ~resetting
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"actions[{i}]: expected finite values, got {a[i].tolist()}")
        b = self.batch
        self._mode[:] = np.where(resetting, _RESET, _STEPPED)
        for i in np.flatnonzero(resetting):
            self._reset_plant(int(i), None)
        run = ~resetting
        cmd = self._cmd  # IncineratorEnv._step_actuators and Plant.set_actuator_array
        np.add(act, 1.0, out=cmd)
        cmd *= self._half_range
        cmd += self._lower
        b.u[run] = np.clip(cmd[run], self._lower, self._upper)
        self._trip_before[:] = b.x[:, core.X_TRIP] != core.TRIP_NONE
        b.advance(self.control_interval_s, run, extra_normals=self._obs_normals)
        self._run_outputs()
        done = self._terminated | self._truncated
        result = (self._obs.copy(), self._rewards.copy(), self._terminated.copy(), self._truncated.copy())
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            self._autoreset = done
            return (*result, self._infos())
        if not done.any():
            return (*result, self._infos())
        # SAME_STEP (SyncVectorEnv): the final observation and info, then the reset plants' own.
        final_obs = np.full(self.num_envs, None, dtype=object)
        for i in np.flatnonzero(done):
            final_obs[i] = result[0][i].copy()
        final_info = self._infos(done)
        self._mode[:] = np.where(done, _RESET, _IDLE)
        for i in np.flatnonzero(done):
            self._reset_plant(int(i), None)
        self._run_outputs()
        obs = result[0]
        obs[done] = self._obs[done]
        return (obs, *result[1:], {"final_obs": final_obs, "_final_obs": done.copy(), "final_info": final_info,
                                   "_final_info": done.copy(), **self._infos()})

    def close_extras(self, **kwargs):
        self._single.close()

    # ------------------------------------------------------------------ helpers ---
    def _reset_plant(self, i: int, seed: int | None) -> None:
        """``IncineratorEnv.reset`` of env ``i`` (its seed or one drawn from its ``np_random``)."""
        if seed is not None:
            self._np_randoms[i], _ = seeding.np_random(seed)
        elif self._np_randoms[i] is None:
            self._np_randoms[i], _ = seeding.np_random()
        plant_seed = seed if seed is not None else int(self._np_randoms[i].integers(2**31 - 1))
        plant = self.batch.load_start(i, plant_seed)
        self._last[i] = to_action(plant.actuators, self._lower, self._upper)

    def _run_outputs(self) -> None:
        b = self.batch
        tmpl = self._single
        args = (self._mode, b.x, b.y, b.d, b.bed, b.hopper, b.moisture_est_pct, b.stack, b.power, b.cems_reading,
                b.u, self._act, self._last, self._cmd, self._trip_before, b.normals, self._consts, self._weights,
                tmpl._obs_ref, tmpl._obs_inv_scale, self._m, self._truth, self._terms, self._rewards, self._obs,
                self._terminated, self._truncated, self._diff)
        if self._entry is None:  # resolve numba's type dispatch once (see sim.core.entry_point)
            self._entry = core.entry_point(_outputs, *args)
        self._entry(*args)

    def _infos(self, rows: np.ndarray | None = None) -> dict[str, Any]:
        """The SyncVectorEnv info layout of ``IncineratorEnv``'s info, for every env or, with
        ``rows`` (bool), for those only (others zero, False or None, masks False), as SyncVectorEnv
        gathers the final infos of the envs that just ended."""
        n = self.num_envs
        b = self.batch
        mask = np.ones(n, dtype=bool) if rows is None else rows

        def keep(values: np.ndarray) -> np.ndarray:
            return values.copy() if rows is None else np.where(rows.reshape((n,) + (1,) * (values.ndim - 1)),
                                                               values, np.zeros((), values.dtype))

        def group(names, values):
            block = keep(values)  # one copy; the entries are its columns
            out: dict[str, Any] = {}
            for k, name in enumerate(names):
                out[name] = block[:, k]
                out[f"_{name}"] = mask.copy()
            return out

        codes = (self._m[:, _POLLUTANT_INDEX] > _LIMITS) @ _POLLUTANT_BITS  # which limits are exceeded
        emissions = np.full(n, None, dtype=object)
        for i, code in zip(np.flatnonzero(mask).tolist(), codes[mask].tolist()):
            emissions[i] = list(_EXCEEDED[code])
        trips = np.full(n, None, dtype=object)
        for i in np.flatnonzero(mask & (b.x[:, core.X_TRIP] != core.TRIP_NONE)):
            trips[i] = b.trip_reason(int(i))
        return {
            "measurements": group(MEASUREMENTS, self._m), "_measurements": mask.copy(),
            "actuators": group(ACTUATORS, b.u), "_actuators": mask.copy(),
            "truth": group(TRUTH, self._truth), "_truth": mask.copy(),
            "reward_terms": group(TERMS, self._terms), "_reward_terms": mask.copy(),
            "violations": {"furnace_below_850": keep(self._m[:, 4] < FURNACE_MIN_TEMP_DEGC),
                           "_furnace_below_850": mask.copy(),
                           "emissions_over_limit": emissions, "_emissions_over_limit": mask.copy(),
                           "trip": trips, "_trip": mask.copy()},
            "_violations": mask.copy(),
            "time_s": keep(b.d[:, D_NOW]), "_time_s": mask.copy(),
        }
