"""A discrete PI controller as found in a DCS, with output limits and anti-windup.

It lives in :mod:`sim` because the plant's base control layer (:mod:`sim.envs.base_layer`) is
built from it; controllers in :mod:`agents` import it from here (:mod:`sim` never imports
:mod:`agents`).

Tuning in this package follows the SIMC rules (Skogestad 2003, "Simple analytic rules for
model reduction and PID controller tuning", J. Process Control 13): for a first-order process
with gain K, time constant tau and dead time theta, ``Kc = tau / (K (tau_c + theta))`` and
``Ti = min(tau, 4 (tau_c + theta))``; for an integrating process with slope k',
``Kc = 1 / (k' (tau_c + theta))`` and ``Ti = 4 (tau_c + theta)``. The closed-loop time
constant tau_c is the one tuning knob; each loop states its model and its tau_c.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def simc_first_order(gain: float, tau_s: float, dead_time_s: float, tau_c_s: float) -> tuple[float, float]:
    """SIMC PI settings (Kc, Ti [s]) for a first-order-plus-dead-time process."""
    return tau_s / (gain * (tau_c_s + dead_time_s)), min(tau_s, 4.0 * (tau_c_s + dead_time_s))


def simc_integrating(slope: float, dead_time_s: float, tau_c_s: float) -> tuple[float, float]:
    """SIMC PI settings (Kc, Ti [s]) for an integrating process dy/dt = slope * u."""
    return 1.0 / (slope * (tau_c_s + dead_time_s)), 4.0 * (tau_c_s + dead_time_s)


@dataclass
class PI:
    """``u = bias + Kc (e + (1/Ti) integral e dt)`` with e = setpoint - measurement (direct action:
    use a negative Kc for reverse-acting loops). The integral stops when the output saturates
    (conditional integration), so the loop recovers at once when the limit is left."""

    kc: float
    ti_s: float
    lo: float
    hi: float
    bias: float = 0.0
    integral: float = field(default=0.0)

    def reset(self, bias: float | None = None) -> None:
        self.integral = 0.0
        if bias is not None:
            self.bias = bias

    def update(self, error: float, dt_s: float, feedforward: float = 0.0) -> float:
        candidate = self.integral + error * dt_s / self.ti_s
        u = self.bias + feedforward + self.kc * (error + candidate)
        if self.lo < u < self.hi:
            self.integral = candidate
        else:
            u = self.bias + feedforward + self.kc * (error + self.integral)
        return min(max(u, self.lo), self.hi)
