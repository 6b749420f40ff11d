"""Validated training configs (``configs/agents/*.yaml``) for ``scripts/train.py``.

A config is YAML with these sections (every key optional except ``algo.name``; an unknown key
anywhere is an error naming it)::

    algo:                       # the SB3 algorithm and its hyperparameters
      name: ppo                 # ppo | sac | tqc | recurrent_ppo (tqc/recurrent_ppo: sb3-contrib)
      policy: MlpPolicy         # default: MlpPolicy (MlpLstmPolicy for recurrent_ppo)
      policy_kwargs: {net_arch: [64, 64], activation_fn: tanh}   # activation: tanh | relu | elu
      learning_rate: 3.0e-4     # any other key: a constructor argument of the SB3 class,
      n_steps: 1024             # checked against its signature (a typo is an error)
    env:
      id: WtE/Incinerator-v0    # or WtE/IncineratorSupervisory-v0
      plant: reference_750tpd
      scenarios: [steady_design]  # one is drawn per episode (uniformly), then one of its train seeds
      episode_hours: 6          # training episode length
      random_start: false       # true: each episode starts at a random time of its scenario
      kwargs: {}                # further gymnasium.make keywords (reward_weights, observation_noise, ...)
      residual:                 # optional, WtE/Incinerator-v0 only (agents/residual.py)
        base: rule_based
        actuators: [feed_rate_t_h, grate_speed_pct, primary_air_nm3_h, secondary_air_nm3_h]
        scale: 0.1
    vec_env: {kind: batched, n_envs: 1} # batched (the plants in one compiled batch per scenario,
                                        # agents.training.ScenarioBatches) | dummy (single envs in
                                        # this process) | subproc (one process per env)
    normalize: {observations: true, rewards: true, clip_obs: 10, clip_reward: 10}
    eval: {every_steps: 20000, seeds: holdout, holdout: 4, episode_hours: null, max_episodes: null}
    checkpoint_every_steps: 50000
    total_timesteps: 200000
    seed: 0
    torch_threads: 1
    progress_bar: true
    init_from: null             # a policy .zip of an earlier run to start from (fine-tuning)

``eval.seeds``: ``holdout`` (default) reserves the last ``eval.holdout`` train seeds of every
scenario for the periodic evaluation and best-model choice, so the scenario's *test* seeds stay
unseen until ``scripts/evaluate.py``/the benchmark; ``test`` evaluates on the test seeds
(then the best-model choice has seen them: a reported test score is optimistic).

``init_from`` fine-tunes: the new run builds its model from this config (hyperparameters, reward,
scenarios may all differ from the earlier run's), then copies in the earlier policy's network
weights (actor and critic) and its observation and return normalisation statistics. The
algorithm, policy class, ``policy_kwargs`` and observation/action spaces must equal the earlier
policy's (an error names the first that differs). The optimiser state is not copied. A relative
path is taken from the working directory. Loading it follows :func:`agents.sb3.load_model` (no
unpickling).

Overrides ``a.b=value`` (command line) are parsed as YAML values and merged before validation.
YAML is read with PyYAML's safe loader, extended only to read ``3e-4`` as a float (YAML 1.2).
"""
from __future__ import annotations

import inspect
import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.config import ConfigError as _SimConfigError
from sim.config import format_errors  # the project's one wording of validation errors
from sim.config import FiniteFloat, load_scenario, read_yaml
from sim.units import ACTUATORS

from .residual import DEFAULT_ACTUATORS
from .sb3 import ACTIVATIONS, ALGORITHMS, algorithm_class

#: SB3 constructor arguments the trainer sets itself (not allowed as hyperparameters).
RESERVED = {"self", "policy", "env", "seed", "device", "tensorboard_log", "verbose", "_init_setup_model",
            "policy_kwargs", "kwargs", "args"}


class ConfigError(_SimConfigError):
    """A training config or override is invalid (the message names the field)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlgoConfig(BaseModel):
    """Algorithm, policy and hyperparameters (extra keys = SB3 constructor arguments, checked)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str
    policy: str | None = None
    policy_kwargs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self):
        if self.name not in ALGORITHMS:
            raise ValueError(f"name={self.name!r}: expected one of {sorted(ALGORITHMS)}")
        cls = algorithm_class(self.name)
        if self.policy is not None and self.policy not in cls.policy_aliases:
            raise ValueError(f"policy={self.policy!r}: expected one of {sorted(cls.policy_aliases)}")
        allowed = set(inspect.signature(cls.__init__).parameters) - RESERVED
        for key, value in self.model_extra.items():
            if key not in allowed:
                raise ValueError(f"{key!r} is not a hyperparameter of {cls.__name__}: expected some of {sorted(allowed)}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{key}={value!r}: expected a finite number")
        act = self.policy_kwargs.get("activation_fn")
        if act is not None and act not in ACTIVATIONS:
            raise ValueError(f"policy_kwargs.activation_fn={act!r}: expected one of {sorted(ACTIVATIONS)}")
        return self

    @property
    def policy_name(self) -> str:
        return self.policy or ALGORITHMS[self.name][2]

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return dict(self.model_extra)


class ResidualConfig(_Strict):
    """The residual layer (:mod:`agents.residual`)."""

    base: str = "rule_based"
    actuators: tuple[str, ...] = DEFAULT_ACTUATORS
    scale: float = Field(0.1, gt=0.0, le=1.0, description="largest correction, share of the half range [-]")

    @field_validator("actuators")
    @classmethod
    def _known(cls, v):
        bad = [a for a in v if a not in ACTUATORS]
        if bad or not v or len(set(v)) != len(v):
            raise ValueError(f"expected distinct names from {list(ACTUATORS)}, got {list(v)}")
        return v


class EnvConfig(_Strict):
    id: str = "WtE/Incinerator-v0"
    plant: str = "reference_750tpd"
    scenarios: tuple[str, ...] = Field(("steady_design",), min_length=1)
    episode_hours: float = Field(6.0, gt=0.0, le=24 * 60, description="training episode length [h]")
    random_start: bool = Field(False, description="start each training episode at a random time of its scenario "
                               "(the plant run there under the ACC); see agents.training.ScenarioMix")
    kwargs: dict[str, Any] = Field(default_factory=dict)
    residual: ResidualConfig | None = None

    @field_validator("id")
    @classmethod
    def _registered(cls, v):
        import gymnasium

        import sim  # noqa: F401  (registers the environments)

        known = sorted(k for k in gymnasium.registry if k.startswith("WtE/"))
        if v not in known:
            raise ValueError(f"{v!r} is not a registered environment: expected one of {known}")
        return v

    @field_validator("scenarios")
    @classmethod
    def _scenarios(cls, v):
        for name in v:
            load_scenario(name)  # raises naming the unknown scenario
        return v

    @model_validator(mode="after")
    def _residual_env(self):
        if self.residual is not None and self.id != "WtE/Incinerator-v0":
            raise ValueError(f"residual: needs id 'WtE/Incinerator-v0' (the base controller drives all actuators), got {self.id!r}")
        if self.random_start and self.id == "WtE/Incinerator-v0" and self.residual is None:
            raise ValueError("random_start: true needs an env whose zero action is the ACC (id "
                             "'WtE/IncineratorSupervisory-v0', or residual set); the plain 'WtE/Incinerator-v0' has none")
        reserved = {"plant", "scenario", "episode_hours"} & set(self.kwargs)
        if reserved:
            raise ValueError(f"kwargs: {sorted(reserved)} are set by env.plant/env.scenarios/env.episode_hours")
        return self

    @model_validator(mode="after")
    def _known_kwargs(self):
        """Every key of ``kwargs`` is a keyword of the env class (its values are checked when the
        env is made: a bad one is a ConfigError naming it)."""
        known = _env_keywords(self.id) - {"plant", "scenario", "episode_hours"}
        unknown = sorted(set(self.kwargs) - known)
        if unknown:
            raise ValueError(f"kwargs: {unknown} are not keywords of {self.id!r}: expected some of {sorted(known)}")
        return self


def _env_keywords(env_id: str) -> set[str]:
    """The keyword arguments the class registered as ``env_id`` takes: its ``KEYWORDS`` where it
    declares them (a wrapper that passes the rest on), else those of its and its bases' ``__init__``."""
    import gymnasium
    from gymnasium.envs.registration import load_env_creator

    cls = load_env_creator(gymnasium.spec(env_id).entry_point)
    if hasattr(cls, "KEYWORDS"):
        return set(cls.KEYWORDS)
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return {name for klass in cls.__mro__ if "__init__" in vars(klass)
            for name, p in inspect.signature(klass.__init__).parameters.items() if p.kind in kinds and name != "self"}


#: Most envs of a dummy or subproc VecEnv (each a Python env; subproc: a process each).
MAX_SINGLE_ENVS = 64


class VecEnvConfig(_Strict):
    kind: Literal["batched", "dummy", "subproc"] = "batched"
    n_envs: int = Field(1, ge=1, le=1024)

    @model_validator(mode="after")
    def _single_env_count(self):
        if self.kind != "batched" and self.n_envs > MAX_SINGLE_ENVS:
            raise ValueError(f"n_envs={self.n_envs}: kind {self.kind!r} runs one Python env per slot; expected at "
                             f"most {MAX_SINGLE_ENVS} (kind 'batched' takes up to 1024)")
        return self


class NormalizeConfig(_Strict):
    observations: bool = True
    rewards: bool = True
    clip_obs: FiniteFloat = Field(10.0, gt=0.0)
    clip_reward: FiniteFloat = Field(10.0, gt=0.0)


class EvalConfig(_Strict):
    every_steps: int = Field(20_000, ge=1, description="env steps between evaluations")
    seeds: Literal["holdout", "test"] = "holdout"
    holdout: int = Field(4, ge=1, description="train seeds per scenario reserved for evaluation")
    episode_hours: FiniteFloat | None = Field(None, gt=0.0, le=24 * 60, description="default: env.episode_hours")
    max_episodes: int | None = Field(None, ge=1, description="evaluate at most this many (scenario, seed) pairs")


class TrainConfig(_Strict):
    algo: AlgoConfig
    env: EnvConfig = EnvConfig()
    vec_env: VecEnvConfig = VecEnvConfig()
    normalize: NormalizeConfig = NormalizeConfig()
    eval: EvalConfig = EvalConfig()
    checkpoint_every_steps: int = Field(50_000, ge=1)
    total_timesteps: int = Field(200_000, ge=1)
    seed: int = Field(0, ge=0)
    torch_threads: int = Field(1, ge=1, le=64)
    progress_bar: bool = True
    init_from: str | None = Field(None, description="policy .zip (a run's model, best model or checkpoint, with its "
                                  ".json card) whose network weights and normalisation statistics start this run")

    @model_validator(mode="after")
    def _batched_env(self):
        if self.vec_env.kind != "batched":
            return self
        why = ("env.residual is set (the residual layer wraps single envs)" if self.env.residual is not None else
               "env.random_start is true (the ACC run-up to the start is per env)" if self.env.random_start else
               f"env.scenarios has {len(self.env.scenarios)} scenarios and vec_env.n_envs is {self.vec_env.n_envs} "
               "(a batch holds one scenario, so every scenario needs a slot)"
               if self.vec_env.n_envs < len(self.env.scenarios) else None)
        if why:
            raise ValueError(f"vec_env.kind: 'batched' cannot run this config because {why}; set vec_env.kind: dummy "
                             "(or subproc)")
        return self

    def seeds(self) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
        """Scenario -> (training seeds, evaluation seeds) (see the module docstring)."""
        out = {}
        for name in self.env.scenarios:
            sc = load_scenario(name)
            train = tuple(sc.train_seeds)
            if self.eval.seeds == "test":
                out[name] = (train, tuple(sc.test_seeds))
            else:
                if len(train) <= self.eval.holdout:
                    raise ConfigError(f"eval.holdout={self.eval.holdout}: scenario {name!r} has only {len(train)} "
                                      "train seeds; expected fewer held out than that")
                out[name] = (train[:-self.eval.holdout], train[-self.eval.holdout:])
        return out


# ------------------------------------------------------------------ loading ---
class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader reading ``1e-4`` as a float, as YAML 1.2 does."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                    |\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


def parse_yaml(text: str):
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def apply_override(data: dict, item: str) -> dict:
    """Merge one ``a.b.c=value`` override (value parsed as YAML) into ``data`` (a new dict)."""
    key, sep, raw = item.partition("=")
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override {item!r}: expected KEY.PATH=VALUE, e.g. algo.learning_rate=1e-4")
    out = dict(data)
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        node[part] = dict(child) if isinstance(child, dict) else {}
        node = node[part]
    try:
        node[parts[-1]] = parse_yaml(raw)
    except yaml.YAMLError as err:
        raise ConfigError(f"override {item!r}: the value {raw!r} is not valid YAML ({getattr(err, 'problem', err)})") from None
    return out


def validate(data: dict, source: str = "<dict>") -> TrainConfig:
    """A :class:`TrainConfig` from plain data; ConfigError listing each bad field otherwise."""
    if not isinstance(data, dict):
        raise ConfigError(f"invalid training config {source}: expected a mapping at the top level")
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_errors(err, source)) from None


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """Read, override and validate a training config file (UTF-8 YAML; a missing, binary or
    non-UTF-8 file, bad YAML or a bad override is a ConfigError naming it)."""
    path = Path(path)
    try:
        data = read_yaml(path, "training config", _Loader)
    except _SimConfigError as err:
        raise ConfigError(str(err)) from None
    for item in overrides:
        data = apply_override(data if isinstance(data, dict) else {}, item)
    return validate(data, str(path))


def dump(cfg: TrainConfig) -> str:
    """The complete config (defaults filled in) as YAML, readable by :func:`load_config`."""
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
