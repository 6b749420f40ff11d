"""The PI controller and the SIMC tuning rules controllers use.

They are defined in :mod:`sim.envs.pid`, next to the plant's base control layer that is built from
them (:mod:`sim` never imports :mod:`agents`); this module re-exports them for controllers.
"""
from sim.envs.pid import PI, simc_first_order, simc_integrating

__all__ = ["PI", "simc_first_order", "simc_integrating"]
