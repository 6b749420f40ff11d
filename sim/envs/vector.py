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
every plant are formed in a second compiled call, by the single env's own
:func:`sim.envs.readout.readout`. Python runs per call, not per
plant, except when a plant resets (about 0.1 ms each, once per episode).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numba import njit

from ..batch import PlantBatch
from ..kpis import FURNACE_MIN_TEMP_DEGC
from ..model import compiled
from ..readout import N_MEAS, N_TRUTH
from ..state import TRIP_NONE
from ..units import ACTUATORS, MEASUREMENTS, TRUTH
from .incinerator import IncineratorEnv, commands_to_action
from .readout import env_readout
from .reward import LIMITS_1H_MG_NM3, POLLUTANT_INDEX, POLLUTANTS, TERMS

__all__ = ["IncineratorVectorEnv"]

_N_ACT = len(ACTUATORS)
#: Bit of each pollutant in an exceedance code, and the pollutant names of every code.
_POLLUTANT_BITS = 1 << np.arange(len(POLLUTANTS))
_EXCEEDED = [tuple(p for k, p in enumerate(POLLUTANTS) if code >> k & 1) for code in range(1 << len(POLLUTANTS))]
#: Row modes of the output kernel.
_IDLE, _STEPPED, _RESET = 0, 1, 2


@njit(cache=True)
def _outputs(mode, s, m, ec, CMD, ACT, LAST, w, M, T, R, REW, OBS, TERM, TRUNC, diff):
    """:func:`sim.envs.readout.env_readout` of every row with ``mode`` _STEPPED (after a step) or
    _RESET (after a reset); the observation noise comes from the row's normal buffer."""
    for i in range(mode.shape[0]):
        if mode[i] == _IDLE:
            continue
        r = s.plant[i]
        pos = int(r.normal_pos)
        normals = s.normals[i, pos:]
        if ec.noise_std > 0.0:
            r.normal_pos = pos + N_MEAS
        REW[i], TERM[i], TRUNC[i] = env_readout(mode[i] == _STEPPED, s, i, m.rp, ec, CMD[i], ACT[i], LAST[i],
                                                normals, w, M[i], T[i], R[i], OBS[i], diff)


class IncineratorVectorEnv(VectorEnv):
    """N ``WtE/Incinerator-v0`` plants in one batch (see the module docstring).

    ``IncineratorVectorEnv(num_envs, **kwargs)``: ``kwargs`` as :class:`IncineratorEnv`
    (``plant``, ``scenario``, ``control_interval_s``, ``episode_hours``, ``reward_weights``,
    ``observation_noise``); ``render_mode`` must be None; ``autoreset_mode``:
    ``AutoresetMode.NEXT_STEP`` (default) or ``AutoresetMode.SAME_STEP`` (or their values). ``actions``: array of shape
    ``(num_envs, 9)`` in [-1, 1] (clipped); a wrong shape, NaN or +-inf raises ValueError naming the env.
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
        self.batch = PlantBatch(tmpl.plant.config, tmpl.plant.scenario, n)
        self._consts = tmpl.readout_constants
        self._weights = tmpl.reward_weights.as_array()
        self._lower, self._upper = tmpl.plant.actuator_bounds
        self._half_range = 0.5 * (self._upper - self._lower)
        self._obs_normals = N_MEAS if tmpl.observation_noise > 0.0 else 0  # drawn after each step
        self._np_randoms: list[np.random.Generator | None] = [None] * n
        self._mode = np.zeros(n, dtype=np.int64)
        self._act = np.zeros((n, _N_ACT))
        self._last = np.zeros((n, _N_ACT))
        self._cmd = np.zeros((n, _N_ACT))
        self._m = np.zeros((n, N_MEAS))
        self._truth = np.zeros((n, N_TRUTH))
        self._terms = np.zeros((n, len(TERMS)))
        self._rewards = np.zeros(n)
        self._obs = np.zeros((n,) + self.single_observation_space.shape, dtype=np.float32)
        self._terminated = np.zeros(n, dtype=bool)
        self._truncated = np.zeros(n, dtype=bool)
        self._autoreset = np.zeros(n, dtype=bool)
        self._diff = np.zeros(_N_ACT)
        self._entry = None
        self._started = False

    @property
    def design_plant(self):
        """A :class:`sim.Plant` of the batch's config and scenario in its start state (design
        values, bounds, scenario); not one of the batch's plants."""
        return self._single.plant

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
        bad = ~np.isfinite(a).all(axis=1) & ~resetting  # NaN, or an inf from a diverged policy
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"actions[{i}]: expected finite values, got {a[i].tolist()}")
        b = self.batch
        self._mode[:] = np.where(resetting, _RESET, _STEPPED)
        for i in np.flatnonzero(resetting):
            self._reset_plant(int(i), None)
        run = ~resetting
        cmd = self._cmd  # IncineratorEnv.step and Plant.set_actuator_array
        np.add(act, 1.0, out=cmd)
        cmd *= self._half_range
        cmd += self._lower
        st = b.state
        st.u[run] = np.clip(cmd[run], self._lower, self._upper)
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
        self.batch.start(i, plant_seed)
        self._last[i] = commands_to_action(self.batch.state.u[i], self._lower, self._upper)

    def _run_outputs(self) -> None:
        b = self.batch
        args = (self._mode, b.state.arrays, b.model.model, self._consts, self._cmd, self._act, self._last,
                self._weights, self._m, self._truth, self._terms, self._rewards, self._obs,
                self._terminated, self._truncated, self._diff)
        if self._entry is None:  # resolve numba's type dispatch once (sim.model.compiled)
            self._entry = compiled(_outputs, *args)
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

        codes = (self._m[:, POLLUTANT_INDEX] > LIMITS_1H_MG_NM3) @ _POLLUTANT_BITS  # which limits are exceeded
        emissions = np.full(n, None, dtype=object)
        for i, code in zip(np.flatnonzero(mask).tolist(), codes[mask].tolist()):
            emissions[i] = list(_EXCEEDED[code])
        trips = np.full(n, None, dtype=object)
        for i in np.flatnonzero(mask & (b.state.plant["trip"] != TRIP_NONE)):
            trips[i] = b.trip_reason(int(i))
        return {
            "measurements": group(MEASUREMENTS, self._m), "_measurements": mask.copy(),
            "actuators": group(ACTUATORS, b.state.u), "_actuators": mask.copy(),
            "truth": group(TRUTH, self._truth), "_truth": mask.copy(),
            "reward_terms": group(TERMS, self._terms), "_reward_terms": mask.copy(),
            "violations": {"furnace_below_850": keep(self._m[:, 4] < FURNACE_MIN_TEMP_DEGC),
                           "_furnace_below_850": mask.copy(),
                           "emissions_over_limit": emissions, "_emissions_over_limit": mask.copy(),
                           "trip": trips, "_trip": mask.copy()},
            "_violations": mask.copy(),
            "time_s": keep(b.state.plant["now_s"].copy()), "_time_s": mask.copy(),
        }
