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

Per tag: ``channel`` (a measurement or actuator of :mod:`sim.units`, or ``mode_<name>`` for an
auto/manual flag), ``unit`` (see :mod:`sim.replay.units`), ``scale``/``offset`` applied to the raw
value first (``value_in_unit = raw * scale + offset``), optional ``range`` (plausible values in
the channel's unit; default :data:`~sim.replay.units.PHYSICAL_RANGES`), ``filter_s`` (moving
average over that many seconds after resampling), ``stuck_s`` (overrides the map's), and
``unit_changes`` (``[{from: "2026-03-01 08:00", unit: kg/s}]``: the unit the DCS logged from a
local time on). Each channel may be fed by one tag only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.config import CONFIG_ROOT, ConfigError, FiniteFloat, format_errors, read_yaml
from sim.units import ACTUATORS, MEASUREMENTS

from .units import PHYSICAL_RANGES, channel_unit, conversion, normalise_unit


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


class TagSpec(_Strict):
    """One plant tag."""

    channel: str = Field(description="canonical measurement/actuator name, or mode_<name> for a mode flag")
    unit: Unit = Field(description="unit the tag is logged in")
    scale: FiniteFloat = Field(1.0, description="raw value multiplier (e.g. t/h per % of travel) [unit per raw]")
    offset: FiniteFloat = Field(0.0, description="added after scale [unit]")
    range: tuple[FiniteFloat, FiniteFloat] | None = Field(None, description="plausible values [channel unit]")
    filter_s: FiniteFloat | None = Field(None, gt=0, description="moving-average window after resampling [s]")
    stuck_s: FiniteFloat | None = Field(None, gt=0, description="flat-line limit for this tag [s]")
    unit_changes: tuple[UnitChange, ...] = ()

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if v in MEASUREMENTS or v in ACTUATORS or (v.startswith("mode_") and len(v) > 5):
            return v
        raise ValueError(f"unknown channel {v!r}: expected one of {list(MEASUREMENTS) + list(ACTUATORS)} "
                         "or mode_<name>")

    @model_validator(mode="after")
    def _convertible(self):
        target = channel_unit(self.channel)
        for unit in (self.unit, *(c.unit for c in self.unit_changes)):
            conversion(unit, target)  # ValueError if the dimensions differ
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range {self.range}: expected [low, high] with low < high")
        return self

    @property
    def kind(self) -> str:
        """``command`` (actuator), ``measurement`` or ``mode``."""
        if self.channel in ACTUATORS:
            return "command"
        return "mode" if self.channel.startswith("mode_") else "measurement"

    @property
    def plausible(self) -> tuple[float, float]:
        """Plausible range in the channel's unit (the tag's ``range`` or the channel default)."""
        return self.range or PHYSICAL_RANGES.get(self.channel, (0.0, 1.0))


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

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}: expected an IANA name such as 'Asia/Shanghai' or 'UTC'") from None
        return v

    @model_validator(mode="after")
    def _one_tag_per_channel(self):
        seen: dict[str, str] = {}
        for tag, spec in self.tags.items():
            if spec.channel in seen:
                raise ValueError(f"tags {seen[spec.channel]!r} and {tag!r} both map to {spec.channel!r}: "
                                 "expected one tag per channel")
            seen[spec.channel] = tag
        if not self.tags:
            raise ValueError("tags: expected at least one tag")
        return self

    def tag_for(self, channel: str) -> str | None:
        """The plant tag feeding ``channel`` (None if the map has none)."""
        return next((t for t, s in self.tags.items() if s.channel == channel), None)


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

