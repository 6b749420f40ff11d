"""Historian logs in: tag maps, validation, open-loop replay, disturbance estimation, shadow mode,
calibration and offline datasets (README "Replaying plant logs").

``load_log(path, tags)`` turns a historian export into a :class:`PlantLog` of canonical channels
with its data-quality report; the other modules use such a log.
"""
from .log import PlantLog, load_log
from .quality import DataQualityReport, DataQualityWarning, Issue, LogError
from .tagmap import TagMap, TagSpec, load_tagmap

__all__ = ["PlantLog", "load_log", "DataQualityReport", "DataQualityWarning", "Issue", "LogError",
           "TagMap", "TagSpec", "load_tagmap"]
