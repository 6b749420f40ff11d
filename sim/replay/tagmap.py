"""Tag maps: how a plant's historian tags become canonical channels (configs/tags/*.yaml).

A tag map is plant-specific data, validated strictly like the plant configs (:mod:`sim.config`):
an unknown key, a missing key or a bad value raises :class:`sim.config.ConfigError` naming the
field and the value. Example (``configs/tags/synthetic_dcs.yaml`` is a complete one)::

    name: line2_dcs
    timezone: Asia/Shanghai        # zone of timestamps written without one (IANA name)
    layout: wide                   # wide | long | folder (one file per tag)
    timestamp_column: 时间
    step_s: 10                     # common step after resampling [s]
    max_gap_s: 120                 # longer silences are reported; nothing is bridged across them [s]
    stuck_s: 600                   # a measurement unchanged this long is flat-lined [s]
    tags:
      主蒸汽流量: {channel: steam_flow_t_h, unit: t/h}
      10HHC10AF001_SPD: {channel: feed_rate_t_h, unit: t/h, scale: 0.45}   # % of ram travel -> t/h
      10HLA20CF001: {channel: primary_air_nm3_h, unit: kNm3/h}
      ACC_AUTO: {channel: mode_acc_auto, unit: "-"}                       # 1 = automatic

Per tag: ``channel`` (a measurement or actuator of :mod:`sim.units`, a log channel of
:data:`~sim.replay.units.LOG_CHANNELS` -- setpoints, damper positions, ID-fan speed, furnace
pressure, zone air flows, thermocouples, ram run and CEMS calibration flags -- or
``mode_<loop>`` for a loop's auto/manual flag, 1 = automatic, e.g. ``mode_feed_auto``,
``mode_air_auto``, ``mode_level_auto``); a tag without ``channel`` is an *input*, read only to
feed ``derived`` expressions, resampled by its ``role`` (``measurement``: averaged, the
default; ``command``/``setpoint``/``position``/``flag``: held). ``unit`` (see
:mod:`sim.replay.units`), ``scale``/``offset`` applied to the raw value first
(``value_in_unit = raw * scale + offset``), ``states`` (text codes of a flag, ``{AUTO: 1, MAN:
0}``), ``meter_offset`` (the meter reads this much high, in the channel's unit: subtracted after
conversion, reported), optional ``range`` (plausible values in the channel's unit; default
:data:`~sim.replay.units.PHYSICAL_RANGES`), ``zero_band`` (readings down to ``-zero_band`` are
noise around zero, clipped to 0 and reported; default 0.5 % of the range's top for channels whose
range starts at 0), ``calibration`` (look for CEMS zero/span calibrations; default on for the CEMS
channels), ``filter_s`` (moving average over that many seconds after resampling), ``stuck_s``
(overrides the map's), and ``unit_changes`` (``[{from: "2026-03-01 08:00", unit: kg/s}]``: the
unit the DCS logged from a local time on). Each channel may be fed by one tag only.

``curves``: named piecewise-linear characteristics, ``{pa_damper: [[0, 0], [30, 40000], [100,
120000]]}`` (x strictly increasing, at least two points), used as ``curve("pa_damper", x)``.

``derived``: channels computed after resampling from expressions over tags
(:mod:`~sim.replay.expr`; a tag feeding a channel enters in that channel's unit, an input tag in
its own unit after scale/offset)::

    derived:
      feed_rate_t_h: {expr: "RAM_RUN * RAM_CMD * 0.45", unit: t/h}
      primary_air_nm3_h:                      # fallback list: the first one with data wins
        expr: ["PA_FLOW", 'curve("pa_damper", PA_DAMPER)']
        unit: Nm3/h

A list is a fallback: at each grid point the first expression with a value is used; the load
reports (``fallback``) which share came from which. ``unit`` is the unit of the expression's
result (default: the channel's).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.config import CONFIG_ROOT, ConfigError, FiniteFloat, format_errors, read_yaml
from sim.units import ACTUATORS, MEASUREMENTS

from .expr import ExpressionError, parse
from .units import LOG_CHANNELS, PHYSICAL_RANGES, channel_unit, conversion, normalise_unit

#: Default zero band of a channel whose plausible range starts at 0: this share of its top [-].
ZERO_BAND_SHARE = 0.005
#: CEMS analyser channels (zero/span calibrations are looked for by default).
CEMS_CHANNELS = ("co_mg_nm3", "nox_mg_nm3", "so2_mg_nm3", "hcl_mg_nm3", "dust_mg_nm3", "nh3_mg_nm3")
#: Roles of tags: how they are resampled (measurements averaged, the others held).
ROLES = ("measurement", "command", "setpoint", "position", "flag")


#: A unit as written in the map, validated and stored in its canonical spelling.
Unit = Annotated[str, AfterValidator(normalise_unit)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitChange(_Strict):
    """From a local time on, the tag was logged in another unit."""

    from_: str = Field(alias="from", description="local time (the map's zone) of the first sample in the new unit")
    unit: Unit = Field(description="unit from then on")

    @field_validator("from_")
    @classmethod
    def _time(cls, v: str) -> str:
        pd.Timestamp(v)  # raises ValueError naming the text
        return v


def known_channel(v: str) -> str:
    """``v`` if it is a channel a log may carry (ValueError naming it otherwise)."""
    if v in MEASUREMENTS or v in ACTUATORS or v in LOG_CHANNELS or (v.startswith("mode_") and len(v) > 5):
        return v
    raise ValueError(f"unknown channel {v!r}: expected one of {list(MEASUREMENTS) + list(ACTUATORS)}, "
                     f"a log channel {list(LOG_CHANNELS)} or mode_<loop>")


def role_of(channel: str) -> str:
    """How a channel is resampled: ``command`` (actuators), a log channel's role, ``flag`` for
    ``mode_*``, else ``measurement``."""
    if channel in ACTUATORS:
        return "command"
    if channel in LOG_CHANNELS:
        return LOG_CHANNELS[channel][1]
    return "flag" if channel.startswith("mode_") else "measurement"


class TagSpec(_Strict):
    """One plant tag."""

    channel: str | None = Field(None, description="canonical channel, log channel or mode_<loop>; "
                                                  "none: an input of derived expressions")
    role: Literal[ROLES] | None = Field(None, description="input tags: measurement (averaged) or held")
    unit: Unit = Field(description="unit the tag is logged in")
    scale: FiniteFloat = Field(1.0, description="raw value multiplier (e.g. t/h per % of travel) [unit per raw]")
    offset: FiniteFloat = Field(0.0, description="added after scale [unit]")
    states: dict[str, FiniteFloat] = Field({}, description="text codes of the raw value -> number (AUTO: 1)")
    meter_offset: FiniteFloat = Field(0.0, description="the meter reads this much high [channel unit]; subtracted")
    range: tuple[FiniteFloat, FiniteFloat] | None = Field(None, description="plausible values [channel unit]")
    zero_band: FiniteFloat | None = Field(None, ge=0, description="negatives down to -zero_band clipped to 0 [channel unit]")
    calibration: bool | None = Field(None, description="look for CEMS zero/span calibrations (default: CEMS channels)")
    filter_s: FiniteFloat | None = Field(None, gt=0, description="moving-average window after resampling [s]")
    stuck_s: FiniteFloat | None = Field(None, gt=0, description="flat-line limit for this tag [s]")
    unit_changes: tuple[UnitChange, ...] = ()

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str | None) -> str | None:
        return None if v is None else known_channel(v)

    @model_validator(mode="after")
    def _convertible(self):
        target = self.target_unit
        for unit in (self.unit, *(c.unit for c in self.unit_changes)):
            conversion(unit, target)  # ValueError if the dimensions differ
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range {self.range}: expected [low, high] with low < high")
        if self.channel is not None and self.role is not None and self.role != role_of(self.channel):
            raise ValueError(f"role {self.role!r} for channel {self.channel!r}: a channel's role is fixed "
                             f"({role_of(self.channel)!r}); role is for input tags without a channel")
        return self

    @property
    def target_unit(self) -> str:
        """The unit values are converted to: the channel's, or the tag's own for an input tag."""
        return channel_unit(self.channel) if self.channel else self.unit

    @property
    def kind(self) -> str:
        """``command`` (actuator), ``measurement`` or ``mode`` (held flags and setpoints)."""
        role = role_of(self.channel) if self.channel else (self.role or "measurement")
        return {"measurement": "measurement", "command": "command"}.get(role, "mode")

    @property
    def plausible(self) -> tuple[float, float]:
        """Plausible range in the channel's unit (the tag's ``range`` or the channel default;
        an input tag without ``range`` is not range-checked)."""
        if self.range:
            return self.range
        return PHYSICAL_RANGES.get(self.channel, (-np.inf, np.inf))

    @property
    def zero_tolerance(self) -> float:
        """How far below zero a reading is noise around zero [channel unit] (0: none)."""
        if self.zero_band is not None:
            return self.zero_band
        lo, hi = self.plausible
        return ZERO_BAND_SHARE * hi if lo == 0.0 and np.isfinite(hi) else 0.0

    @property
    def check_calibration(self) -> bool:
        return self.calibration if self.calibration is not None else self.channel in CEMS_CHANNELS


class DerivedSpec(_Strict):
    """A channel computed from tags (see the module docstring)."""

    expr: str | tuple[str, ...] = Field(description="expression, or a fallback list of expressions")
    unit: Unit | None = Field(None, description="unit of the expressions' result (default: the channel's)")

    @property
    def expressions(self) -> tuple[str, ...]:
        return (self.expr,) if isinstance(self.expr, str) else self.expr


class LongColumns(_Strict):
    """Column names of a long export (one row per sample)."""

    timestamp: str = "timestamp"
    tag: str = "tag"
    value: str = "value"
    quality: str | None = None


class TagMap(_Strict):
    """How to read one plant's historian export."""

    name: str
    description: str = ""
    timezone: str = Field(description="IANA zone of timestamps logged without one (e.g. Asia/Shanghai)")
    layout: Literal["wide", "long", "folder"] = Field(description="wide table, long table, or a folder of one file per tag")
    timestamp_column: str = Field("timestamp", description="timestamp column (wide and folder layouts)")
    value_column: str = Field("value", description="value column of each file (folder layout)")
    quality_suffix: str | None = Field(None, description="wide/folder: quality column = tag + suffix (e.g. '.Q')")
    long_columns: LongColumns = LongColumns()
    good_quality: tuple[str, ...] = Field(("192", "GOOD", "Good", "good"),
                                          description="quality codes of a good value (OPC DA: 192 = good); "
                                                      "an empty flag counts as good (no information)")
    step_s: float = Field(10.0, gt=0, le=3600, description="common step after resampling [s]")
    max_gap_s: FiniteFloat = Field(120.0, gt=0, description="longest silence bridged by hold/interpolation [s]")
    stuck_s: FiniteFloat = Field(600.0, gt=0, description="a measurement unchanged this long is flat-lined [s]")
    tags: dict[str, TagSpec]
    curves: dict[str, tuple[tuple[float, float], ...]] = Field({}, description="piecewise-linear characteristics")
    derived: dict[str, DerivedSpec] = Field({}, description="channels computed from tags")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}: expected an IANA name such as 'Asia/Shanghai' or 'UTC'") from None
        return v

    @field_validator("curves")
    @classmethod
    def _curves(cls, v: dict) -> dict:
        for name, points in v.items():
            x = [p[0] for p in points]
            if len(points) < 2 or any(b <= a for a, b in zip(x, x[1:])):
                raise ValueError(f"curve {name!r} = {[list(p) for p in points]}: expected at least two [x, y] "
                                 "points with x strictly increasing")
        return v

    @model_validator(mode="after")
    def _one_tag_per_channel(self):
        seen: dict[str, str] = {}
        for tag, spec in self.tags.items():
            if spec.channel is None:
                continue
            if spec.channel in seen:
                raise ValueError(f"tags {seen[spec.channel]!r} and {tag!r} both map to {spec.channel!r}: "
                                 "expected one tag per channel")
            seen[spec.channel] = tag
        if not self.tags:
            raise ValueError("tags: expected at least one tag")
        for channel, d in self.derived.items():
            known_channel(channel)
            if channel in seen:
                raise ValueError(f"derived.{channel}: also fed by tag {seen[channel]!r}: expected one source "
                                 "per channel (put the tag first in the derived fallback list instead)")
            conversion(d.unit or channel_unit(channel), channel_unit(channel))
            for text in d.expressions:
                try:
                    e = parse(text)
                except ExpressionError as err:
                    raise ValueError(f"derived.{channel}: {err}") from None
                unknown = sorted(e.names - set(self.tags))
                if unknown:
                    raise ValueError(f"derived.{channel}: expression {text!r} reads {unknown}: expected tags of "
                                     f"the map {list(self.tags)[:12]}")
                if e.curves - set(self.curves):
                    raise ValueError(f"derived.{channel}: expression {text!r} uses curve {sorted(e.curves - set(self.curves))}: "
                                     f"expected one of the map's curves {sorted(self.curves)}")
        return self

    def channel_of(self, tag: str) -> str:
        """The channel a tag feeds, or the tag's own name for an input tag."""
        return self.tags[tag].channel or tag

    def tag_for(self, channel: str) -> str | None:
        """The plant tag feeding ``channel`` (None if the map has none or it is derived)."""
        return next((t for t, s in self.tags.items() if s.channel == channel), None)

    def derived_expressions(self) -> dict[str, list]:
        """{channel: [parsed expression, ...]} of the derived channels (fallback order)."""
        return {c: [parse(t) for t in d.expressions] for c, d in self.derived.items()}


def load_tagmap(name_or_path: str | Path | dict) -> TagMap:
    """Load and validate a tag map by name (configs/tags/NAME.yaml), path or dict (UTF-8 YAML)."""
    if isinstance(name_or_path, TagMap):
        return name_or_path
    if isinstance(name_or_path, dict):
        data, source = name_or_path, "<dict>"
    else:
        path = Path(name_or_path)
        if not path.exists():
            path = CONFIG_ROOT / "tags" / f"{name_or_path}.yaml"
        if not path.exists():
            known = sorted(p.stem for p in (CONFIG_ROOT / "tags").glob("*.yaml"))
            raise ConfigError(f"unknown tag map {str(name_or_path)!r}: expected a YAML path or one of {known}")
        data, source = read_yaml(path, "tag map"), str(path)
        if not isinstance(data, dict):
            raise ConfigError(f"invalid tag map {source}: expected a mapping at the top level")
    try:
        return TagMap.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_errors(err, source).replace("invalid config", "invalid tag map")) from None

