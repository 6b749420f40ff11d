"""``rule_based``: the classic automatic combustion control (ACC) of a grate line (domain.md §3).

Read it as documentation of how plants are run. Every 10 s (the control interval):

1. **Steam-flow master** (feed loop): a PI on steam flow sets the load signal L (1.0 = design).
   The load curve then moves feed rate, grate speed and primary air together in proportion,
   so bed depth and air-to-fuel stay as designed. Model (step test of this plant, see
   tests/test_plant.py): +10 % load -> about +7 t/h steam after ~2 min dead time with ~13 min
   time constant: K = 70 t/h per unit L, theta = 120 s, tau = 780 s. SIMC, tau_c = 2 theta.
2. **O2 trim** (air loop): a PI on the wet O2 moves secondary air around its load-curve value.
   Model: +15 % secondary air -> +0.57 % O2, within ~20 s (K = 9.1e-5 % per Nm3/h,
   theta = 10 s, tau = 20 s); SIMC, tau_c = 120 s.
3. **Furnace-temperature overrides**: below 880 degC the secondary air is cut (less dilution)
   and the grate slowed (the fire must not move off the grate) in proportion to the shortfall;
   above 1,050 degC secondary air is added (dilution) and the feed cut, by at most 20 %. An auxiliary-burner PI holds 860 degC (the 850 degC / 2 s
   rule with a margin), model 12 K per MW, theta = 30 s, tau = 60 s, tau_c = 120 s.
4. **Three-element drum level** (water loop): see :class:`agents.base.DrumLevelLoop`.
5. **Flue-gas treatment**: urea on the stack NOx and lime on the stack HCl, each a PI on the
   CEMS reading with feed-forward on the flue-gas flow (dosing proportional to gas), setpoints
   with margin below the EU daily limits; activated carbon on feed-forward alone (no online
   dioxin measurement). Models from this plant: NOx -6.7 mg/Nm3 per kg/h urea, theta 150 s
   (CEMS), tau 60 s, tau_c 300 s; HCl -0.25 mg/Nm3 per kg/h lime, theta 300 s, tau 1,200 s
   (filter cake), tau_c 600 s.
"""
from __future__ import annotations

from .base import PlantController
from .pid import PI, simc_first_order

#: Setpoints [mg/Nm3, 11 % O2 dry] with margin below the EU IED daily limits (NOx 200, HCl 10).
NOX_SETPOINT_MG_NM3 = 150.0
HCL_SETPOINT_MG_NM3 = 7.0
#: Furnace temperature thresholds [degC].
T_LOW_OVERRIDE_DEGC, T_HIGH_OVERRIDE_DEGC, T_BURNER_DEGC = 880.0, 1050.0, 860.0
#: Override strengths: share of design secondary air / grate speed cut per K below T_LOW.
SA_CUT_PER_K, GRATE_CUT_PER_K, FEED_CUT_PER_K, SA_ADD_PER_K = 0.01, 0.005, 0.002, 0.005
MAX_FEED_CUT = 0.2
#: Load range of the steam master [-].
LOAD_MIN, LOAD_MAX = 0.6, 1.3


class RuleBasedACC(PlantController):
    name = "rule_based"

    def __init__(self, env):
        super().__init__(env)
        d, lo, hi = self.design, self.lower, self.upper
        kc, ti = simc_first_order(70.0, 780.0, 120.0, 240.0)
        self.steam = PI(kc=kc, ti_s=ti, lo=LOAD_MIN, hi=LOAD_MAX, bias=1.0)
        kc, ti = simc_first_order(9.1e-5, 20.0, 10.0, 120.0)
        self.o2 = PI(kc=kc, ti_s=ti, lo=-0.5 * d["secondary_air_nm3_h"], hi=0.5 * d["secondary_air_nm3_h"])
        kc, ti = simc_first_order(12.0, 60.0, 30.0, 120.0)
        self.burner = PI(kc=kc, ti_s=ti, lo=lo[8], hi=hi[8])
        kc, ti = simc_first_order(6.7, 60.0, 150.0, 300.0)
        self.urea = PI(kc=-kc, ti_s=ti, lo=-d["urea_kg_h"], hi=hi[5])
        kc, ti = simc_first_order(0.25, 1200.0, 300.0, 600.0)
        self.lime = PI(kc=-kc, ti_s=ti, lo=-d["lime_kg_h"], hi=hi[6])
        self.o2_setpoint = env.unwrapped.plant.measurements["o2_wet_vol_pct"]
        self.design_flue_nm3_h = env.unwrapped.plant.measurements["flue_gas_flow_nm3_h"]

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self.steam.reset(1.0)
        for loop in (self.o2, self.burner, self.urea, self.lime):
            loop.reset()

    def commands(self, m: dict, steam_setpoint_t_h: float) -> dict[str, float]:
        d, dt, lo, hi = self.design, self.dt_s, self.lower, self.upper
        temp = m["furnace_temp_degc"]
        cold = max(0.0, T_LOW_OVERRIDE_DEGC - temp)
        hot = max(0.0, temp - T_HIGH_OVERRIDE_DEGC)
        load = self.steam.update(steam_setpoint_t_h - m["steam_flow_t_h"], dt)
        gas_ratio = m["flue_gas_flow_nm3_h"] / self.design_flue_nm3_h
        trim = self.o2.update(self.o2_setpoint - m["o2_wet_vol_pct"], dt)
        sa = d["secondary_air_nm3_h"] * (load - SA_CUT_PER_K * cold + SA_ADD_PER_K * hot) + trim
        cmd = {
            "feed_rate_t_h": d["feed_rate_t_h"] * load * (1.0 - min(FEED_CUT_PER_K * hot, MAX_FEED_CUT)),
            "grate_speed_pct": d["grate_speed_pct"] * load * max(1.0 - GRATE_CUT_PER_K * cold, 0.7),
            "primary_air_nm3_h": d["primary_air_nm3_h"] * load,
            "secondary_air_nm3_h": sa,
            "feedwater_t_h": self.level.feedwater_t_h(m, dt),
            "urea_kg_h": self.urea.update(NOX_SETPOINT_MG_NM3 - m["nox_mg_nm3"], dt,
                                          feedforward=d["urea_kg_h"] * gas_ratio),
            "lime_kg_h": self.lime.update(HCL_SETPOINT_MG_NM3 - m["hcl_mg_nm3"], dt,
                                          feedforward=d["lime_kg_h"] * gas_ratio),
            "carbon_kg_h": d["carbon_kg_h"] * gas_ratio,
            "aux_burner_mw": self.burner.update(T_BURNER_DEGC - temp, dt),
        }
        return {k: min(max(v, lo[i]), hi[i]) for i, (k, v) in enumerate(cmd.items())}
