"""Stable-Baselines3 policies as controllers: saving, safe loading, ``sb3:PATH`` controllers.

A saved policy is two files side by side:

* ``NAME.zip`` -- the SB3 model file (``model.save``): network weights as PyTorch state dicts
  and the algorithm's settings as JSON;
* ``NAME.json`` -- this project's policy card: algorithm and policy class names, the env setup
  it was trained on (env id, plant, scenarios, residual layer), its observation and action
  spaces, and the observation/reward normalisation statistics (the ``VecNormalize`` running
  means and variances) as plain numbers.

``agents.make_controller("sb3:PATH.zip", env)`` (used by the benchmark and by the ``learned``
controller) returns an :class:`SB3Controller`: it normalises each observation with the saved
statistics exactly as ``VecNormalize`` did in training (``clip((obs - mean) / sqrt(var + eps),
-clip_obs, clip_obs)``), runs the policy deterministically, and for a residual policy adds the
correction to the base controller (:mod:`agents.residual`).

Where loading a model file can run code
---------------------------------------
An SB3 zip stores most settings as JSON, but the attributes JSON cannot hold (the policy class,
the observation and action spaces, learning-rate and clip-range schedules) are **cloudpickled**
inside the ``data`` entry, and ``SB3 .load()`` unpickles them: a crafted zip can run arbitrary
code on ``PPO.load(path)``. :func:`load_model` never lets that happen: it reads the ``data``
JSON first and passes every serialized attribute as a ``custom_objects`` replacement rebuilt
from the policy card and the algorithm (an attribute it does not know is refused with an error,
not unpickled). The weights (``*.pth``) are read by SB3 with ``torch.load(weights_only=True)``,
which only builds tensors. The normalisation statistics are JSON, never ``VecNormalize.save``'s
pickle. The remaining trust is in the JSON content itself (class names are looked up in SB3's
own policy aliases, never imported by name from the file). Off-policy replay buffers written for
resuming (``*.replay.npz``) are plain arrays loaded with ``allow_pickle=False``.
"""
from __future__ import annotations

import importlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gymnasium import spaces

from sim.envs.incinerator import FORECAST_CHANNEL
from sim.errors import InputError
from sim.results import atomic_write, write_json

#: Algorithm name (config) -> (module, class, default policy).
ALGORITHMS: dict[str, tuple[str, str, str]] = {
    "ppo": ("stable_baselines3", "PPO", "MlpPolicy"),
    "sac": ("stable_baselines3", "SAC", "MlpPolicy"),
    "tqc": ("sb3_contrib", "TQC", "MlpPolicy"),
    "recurrent_ppo": ("sb3_contrib", "RecurrentPPO", "MlpLstmPolicy"),
}
#: Format tag of the policy card.
CARD_FORMAT = "wte-sim-policy/1"
#: Activation names allowed in ``policy_kwargs.activation_fn`` -> torch.nn class names.
ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "elu": "ELU"}
#: Run-time state of an SB3 model that is not saved (SB3 would pickle it; training restarts it).
RUNTIME_ATTRIBUTES = ("_last_obs", "_last_episode_starts", "_last_original_obs", "_last_lstm_states",
                      "ep_info_buffer", "ep_success_buffer")


def algorithm_class(name: str) -> type:
    """The SB3 algorithm class for a config name (ValueError naming the known ones)."""
    try:
        module, cls, _ = ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"algorithm {name!r} is unknown: expected one of {sorted(ALGORITHMS)}") from None
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as err:
        raise ImportError(f"algorithm {name!r} needs the package {module!r} (pip install 'wte-sim[rl]')") from err


# ------------------------------------------------------------------ normalisation ---
@dataclass(frozen=True)
class ObsNormaliser:
    """``VecNormalize``'s observation transform with frozen statistics (identity if not enabled)."""

    enabled: bool
    mean: np.ndarray
    var: np.ndarray
    clip_obs: float
    epsilon: float

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        if not self.enabled:
            return np.asarray(obs, dtype=np.float32)
        x = (np.asarray(obs, dtype=np.float64) - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(x, -self.clip_obs, self.clip_obs).astype(np.float32)

    @classmethod
    def from_vecnormalize(cls, venv) -> "ObsNormaliser":
        """A frozen copy of a live ``VecNormalize``'s observation statistics."""
        return cls(bool(venv.norm_obs), venv.obs_rms.mean.copy(), venv.obs_rms.var.copy(),
                   float(venv.clip_obs), float(venv.epsilon))


def normalisation_stats(venv) -> dict:
    """The ``VecNormalize`` state worth keeping, as JSON-able numbers."""
    return {"observations": bool(venv.norm_obs), "rewards": bool(venv.norm_reward),
            "obs_mean": venv.obs_rms.mean.tolist(), "obs_var": venv.obs_rms.var.tolist(),
            "obs_count": float(venv.obs_rms.count), "ret_mean": float(venv.ret_rms.mean),
            "ret_var": float(venv.ret_rms.var), "ret_count": float(venv.ret_rms.count),
            "clip_obs": float(venv.clip_obs), "clip_reward": float(venv.clip_reward),
            "gamma": float(venv.gamma), "epsilon": float(venv.epsilon)}


def restore_normalisation(venv, stats: dict) -> None:
    """Put saved statistics (:func:`normalisation_stats`) back into a ``VecNormalize``."""
    venv.obs_rms.mean = np.asarray(stats["obs_mean"], dtype=np.float64)
    venv.obs_rms.var = np.asarray(stats["obs_var"], dtype=np.float64)
    venv.obs_rms.count = float(stats["obs_count"])
    venv.ret_rms.mean = np.float64(stats["ret_mean"])
    venv.ret_rms.var = np.float64(stats["ret_var"])
    venv.ret_rms.count = float(stats["ret_count"])


def _normaliser(stats: dict) -> ObsNormaliser:
    return ObsNormaliser(stats["observations"], np.asarray(stats["obs_mean"], dtype=np.float64),
                         np.asarray(stats["obs_var"], dtype=np.float64), stats["clip_obs"], stats["epsilon"])


# ------------------------------------------------------------------ files ---
def box_to_json(box: spaces.Box) -> dict:
    return {"low": box.low.tolist(), "high": box.high.tolist()}


def _box_from_json(d: dict) -> spaces.Box:
    return spaces.Box(np.asarray(d["low"], dtype=np.float32), np.asarray(d["high"], dtype=np.float32), dtype=np.float32)


def write_binary(path: Path, write) -> None:
    """Atomically write ``path`` by calling ``write(file_object)`` (sim.results.atomic_write)."""
    def to_tmp(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            write(fh)

    atomic_write(path, to_tmp)


def policy_kwargs_from_json(kwargs: dict) -> dict:
    """``policy_kwargs`` as configured (activation by name) -> as SB3 takes them (torch class)."""
    import torch

    kw = dict(kwargs)
    if "activation_fn" in kw:
        kw["activation_fn"] = getattr(torch.nn, ACTIVATIONS[kw["activation_fn"]])
    return kw


def save_policy(model, venv, zip_path: Path, algo: dict, env_setup: dict) -> None:
    """Write ``zip_path`` (SB3 model) and its policy card ``zip_path.with_suffix('.json')``,
    each to a temporary name first and then renamed.

    ``algo``: the algorithm config as plain data (``name``, ``policy``, ``policy_kwargs`` and the
    hyperparameters); ``env_setup``: the env config as plain data. The model's run-time state
    (last observations, episode-info buffers) is left out, so nothing of it is pickled.
    """
    zip_path = Path(zip_path)
    write_binary(zip_path, lambda fh: model.save(fh, exclude=list(RUNTIME_ATTRIBUTES)))
    card = {"format": CARD_FORMAT, "algo": algo, "env": env_setup, "num_timesteps": int(model.num_timesteps),
            "observation_space": box_to_json(model.observation_space),
            "action_space": box_to_json(model.action_space),
            "normalisation": normalisation_stats(venv)}
    write_json(zip_path.with_suffix(".json"), card)


#: The sections of a policy card (each a JSON object) besides ``format`` and ``num_timesteps``.
CARD_KEYS = ("algo", "env", "observation_space", "action_space", "normalisation")


def read_card(zip_path: Path) -> dict:
    """The policy card next to ``zip_path``. FileNotFoundError when either file is missing;
    :class:`sim.errors.InputError` (a ValueError) naming the file when the policy is not a zip
    archive or the card is not UTF-8 JSON of this format."""
    card_path = Path(zip_path).with_suffix(".json")
    if not Path(zip_path).is_file():
        raise FileNotFoundError(f"policy file {zip_path} does not exist")
    if not card_path.is_file():
        raise FileNotFoundError(f"policy card {card_path} (algorithm, env setup, normalisation) is missing "
                                f"next to {zip_path}")
    if not zipfile.is_zipfile(zip_path):
        raise InputError(f"policy file {zip_path} is not a zip archive: expected a Stable-Baselines3 .zip "
                         "saved by scripts/train.py")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"policy card {card_path} is not UTF-8 JSON ({err}): expected the card saved with "
                         f"{Path(zip_path).name}") from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise InputError(f"{card_path}: expected a policy card with format {CARD_FORMAT!r}")
    missing = [k for k in CARD_KEYS if not isinstance(card.get(k), dict)]
    if missing or not isinstance(card["algo"].get("name"), str) or not isinstance(card["algo"].get("policy"), str):
        raise InputError(f"{card_path}: policy card without {missing or ['algo.name', 'algo.policy']}: expected the "
                         f"sections {list(CARD_KEYS)} (algo with name and policy) as save_policy writes them")
    return card


def _serialized_keys(zip_path: Path) -> list[str]:
    """Names of the attributes the SB3 zip stores cloudpickled (never unpickled here)."""
    with zipfile.ZipFile(zip_path) as archive:
        data = json.loads(archive.read("data").decode())
    return [k for k, v in data.items() if isinstance(v, dict) and ":serialized:" in v]


def load_model(zip_path: Path, card: dict, env=None):
    """``SB3 .load()`` of ``zip_path`` with every cloudpickled attribute replaced by a value
    rebuilt from the policy ``card`` (module docstring). Schedules become the card's constant
    hyperparameters (or the algorithm's defaults); a pickled attribute without a safe replacement
    raises ValueError instead of being unpickled."""
    algo = card["algo"]
    cls = algorithm_class(algo["name"])
    policy = algo["policy"]
    if policy not in cls.policy_aliases:
        raise ValueError(f"policy {policy!r} is unknown to {cls.__name__}: expected one of {sorted(cls.policy_aliases)}")
    hyper = {k: v for k, v in algo.items() if k not in ("name", "policy", "policy_kwargs")}
    train_freq = hyper.get("train_freq", 1)
    action_space = _box_from_json(card["action_space"])
    entropy = hyper.get("target_entropy", "auto")
    replacements = {
        "policy_class": cls.policy_aliases[policy],
        "policy_kwargs": policy_kwargs_from_json(algo.get("policy_kwargs", {})),
        "observation_space": _box_from_json(card["observation_space"]),
        "action_space": action_space,
        "lr_schedule": lambda _: 0.0,  # rebuilt from learning_rate by the algorithm's _setup_model
        "clip_range": hyper.get("clip_range", 0.2),
        "clip_range_vf": hyper.get("clip_range_vf"),
        "train_freq": tuple(train_freq) if isinstance(train_freq, list) else train_freq,
        "target_entropy": entropy if entropy != "auto" else -float(np.prod(action_space.shape)),  # TQC's "auto"
        "rollout_buffer_class": None,  # None = the algorithm's default buffer
        "replay_buffer_class": None,
    }
    custom = {}
    for key in _serialized_keys(zip_path):
        if key not in replacements:
            raise InputError(f"{zip_path}: attribute {key!r} is stored pickled and has no safe replacement; "
                             "refusing to unpickle it")
        custom[key] = replacements[key]
    return cls.load(zip_path, env=env, device="cpu", custom_objects=custom)


# ------------------------------------------------------------------ running a policy ---
class Policy:
    """A model and its observation normalisation: ``act(obs)`` on raw env observations.

    Deterministic actions; recurrent policies keep their hidden state between calls until
    :meth:`reset` (call it at every episode start).
    """

    def __init__(self, model, normalise: ObsNormaliser):
        self.model, self.normalise = model, normalise
        self.reset()

    def reset(self) -> None:
        self._state, self._start = None, np.ones(1, dtype=bool)

    def act(self, obs: np.ndarray) -> np.ndarray:
        action, self._state = self.model.predict(self.normalise(obs)[None], state=self._state,
                                                 episode_start=self._start, deterministic=True)
        self._start = np.zeros(1, dtype=bool)
        return action[0]


def load_policy(zip_path: str | Path) -> tuple[Policy, dict]:
    """A saved policy (model + card) ready to act, and its card."""
    zip_path = Path(zip_path)
    card = read_card(zip_path)
    model = load_model(zip_path, card)
    return Policy(model, _normaliser(card["normalisation"])), card


SUPERVISORY_ID, DIRECT_ID = "WtE/IncineratorSupervisory-v0", "WtE/Incinerator-v0"


class SB3Controller:
    """A saved SB3 policy behind the controller protocol (``sb3:PATH.zip``).

    Runs on the env id it was trained on; a supervisory policy (trained on
    ``WtE/IncineratorSupervisory-v0``) and a residual policy (trained through
    :class:`agents.residual.ResidualWrapper`) also on plain ``WtE/Incinerator-v0``, by running
    the same layer the training env ran (:class:`sim.envs.supervisory.SupervisoryLayer`,
    :class:`agents.residual.ResidualLayer`).
    A policy trained on scenarios without the crane-imaging forecast runs on a scenario with one
    by leaving the forecast element out of its observation (it never learned to use it).
    Raises ValueError when ``env`` does not fit the policy.
    """

    def __init__(self, env, path: str | Path, name: str | None = None):
        from sim.envs.supervisory import SupervisoryLayer

        from .residual import ResidualLayer

        self.policy, self.card = load_policy(path)
        self.name = name or f"sb3:{path}"
        setup = self.card["env"]
        trained = setup["id"]
        here = env.unwrapped.spec.id if env.unwrapped.spec is not None else None
        if setup.get("residual") and here == DIRECT_ID:
            self.layer = ResidualLayer(env, **setup["residual"])
        elif trained == SUPERVISORY_ID and here == DIRECT_ID:
            kwargs = setup.get("kwargs") or {}
            direct = env.unwrapped  # the layer reads only design values and bounds of its plant
            self.layer = SupervisoryLayer(direct.plant, direct.control_interval_s,
                                          **{k: kwargs[k] for k in ("setpoint_authority", "fallback_below_degc")
                                             if k in kwargs})
        elif trained == here and not setup.get("residual"):
            self.layer = None
        else:
            raise InputError(f"policy {path} was trained on {trained!r}"
                             f"{' with a residual layer' if setup.get('residual') else ''}; it cannot drive {here!r}")
        n_obs = env.observation_space.shape[0] + (self.layer.extra_observations if self.layer else 0)
        expected = len(self.card["observation_space"]["low"])
        names = list(env.get_wrapper_attr("observation_names")) if env.has_wrapper_attr("observation_names") else []
        self._drop = None  # a forecast element the policy never saw (trained on scenarios without one)
        if n_obs == expected + 1 and FORECAST_CHANNEL in names:
            self._drop, n_obs = names.index(FORECAST_CHANNEL), n_obs - 1
        if n_obs != expected:
            raise InputError(f"policy {path} expects {expected} observation elements; this env gives {n_obs}")

    def reset(self, seed: int | None = None) -> None:
        self.policy.reset()
        if self.layer is not None:
            self.layer.reset(seed)

    def act(self, observation: np.ndarray, info: dict) -> np.ndarray:
        if self._drop is not None:
            observation = np.delete(observation, self._drop)
        if self.layer is None:
            return self.policy.act(observation)
        return self.layer.action(self.policy.act(self.layer.observe(observation, info)))
