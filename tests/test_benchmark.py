"""agents.benchmark (scripts/benchmark.py) on a tiny matrix: files, keys, normalisation, determinism."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agents import benchmark
from sim import kpis
from sim.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
#: Tiny matrix: 2 controllers x 2 scenarios x 2 seeds of 12 min each.
TINY = dict(controllers=["manual", "rule_based"], scenario_names=["steady_design", "load_change"],
            seeds="1000,1001", hours=0.2)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    benchmark.run(benchmark.plan(**TINY), out, workers=1, progress=False)
    return out


def test_writes_every_file_with_the_documented_keys(serial):
    assert {p.name for p in serial.iterdir()} == {"results.json", "summary.md", "kpi_bars.png", "worst_case.png"}
    data = json.loads((serial / "results.json").read_text())
    assert data["meta"]["controllers"] == ["manual", "rule_based"]
    assert data["meta"]["scenarios"] == ["steady_design", "load_change"]
    assert data["meta"]["seeds"] == {"steady_design": [1000, 1001], "load_change": [1000, 1001]}
    for controller in ("manual", "rule_based"):
        for scenario in ("steady_design", "load_change"):
            runs = data["results"][controller][scenario]
            assert set(runs) == {"1000", "1001"}
            for record in runs.values():
                assert set(record) == {"trip", "hours_run", "gb18485", "eu_ied"}
                assert record["hours_run"] == pytest.approx(0.2) or record["trip"] is not None
                assert set(record["eu_ied"]["exceedances"]) == {"dust", "nox", "so2", "hcl", "co"}
                assert set(record["eu_ied"]["exceedances"]["co"]) == {"10min", "30min", "24h"}
                assert set(record["gb18485"]["exceedances"]["nox"]) == {"1h", "24h"}
                assert record["gb18485"]["actuator_travel_pct_per_h"] > 0.0
    for name in ("kpi_bars.png", "worst_case.png"):
        assert (serial / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_is_normalised_to_rule_based(serial):
    data = json.loads((serial / "results.json").read_text())
    text = (serial / "summary.md").read_text()
    row = lambda scen, ctl: next(line for line in text.splitlines() if line.startswith(f"| {scen} | {ctl} |"))
    cells = lambda line: [c.strip() for c in line.strip("|").split("|")]
    labels = [label for label, *_ in benchmark.HEADLINE]
    header = next(line for line in text.splitlines() if line.startswith("| scenario | controller |"))
    assert [re.sub(" [↑↓]$", "", c) for c in cells(header)[2:2 + len(labels)]] == labels
    ref = cells(row("steady_design", "rule_based"))[2:2 + len(labels)]
    assert all(c in ("1.00", "—") for c in ref)
    # the manual operator's steam-std ratio, recomputed from results.json
    mean = lambda ctl: sum(r["gb18485"]["steam_flow_std_t_h"] for r in data["results"][ctl]["load_change"].values()) / 2
    shown = cells(row("load_change", "manual"))[2 + labels.index("steam std")]
    assert float(shown) == pytest.approx(mean("manual") / mean("rule_based"), abs=0.006)
    # compliance columns are absolute sums over the seeds
    gb = sum(sum(sum(w.values()) for w in r["gb18485"]["exceedances"].values())
             for r in data["results"]["manual"]["steady_design"].values())
    assert cells(row("steady_design", "manual"))[2 + len(labels)] == str(gb)


def test_parallel_workers_give_the_same_results(serial, tmp_path):
    benchmark.run(benchmark.plan(**TINY), tmp_path, workers=2, backend="process", progress=False)
    assert (tmp_path / "results.json").read_bytes() == (serial / "results.json").read_bytes()


@pytest.mark.parametrize("change, error, message", [
    ({"controllers": ["manual", "nope"]}, ValueError, "unknown controller 'nope'"),
    ({"controllers": ["manual", "manual"]}, ValueError, "expected distinct"),
    ({"controllers": ["sb3:/no/such/model.zip"]}, FileNotFoundError, "model.zip"),
    ({"scenario_names": ["steady_design", "nope"]}, ConfigError, "unknown scenario 'nope'"),
    ({"seeds": "first"}, ValueError, "--seeds 'first'"),
    ({"hours": -1.0}, ValueError, "--hours -1.0"),
])
def test_bad_inputs_fail_before_running(change, error, message):
    with pytest.raises(error, match=re.escape(message)):
        benchmark.plan(**{**TINY, **change})


def test_script_reports_a_bad_option_as_a_usage_error(tmp_path):
    """The command line end to end: exit code 2, the message, no folder."""
    for args, message in ((["--scenarios", "nope"], "unknown scenario 'nope'"), (["--workers", "0"], "--workers 0")):
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "benchmark.py"), *args, "--out",
                               str(tmp_path / "never")], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and message in proc.stderr
    assert not (tmp_path / "never").exists()


def test_trips_are_counted_in_results_and_summary():
    record = {"trip": "flame loss (furnace temperature)", "hours_run": 0.5,
              "gb18485": {"exceedances": {"co": {"1h": 2}}, "furnace_below_850_5min_count": 3, "aux_fuel_mwh": 0.0},
              "eu_ied": {"exceedances": {"co": {"10min": 1, "30min": 1}}}}
    results = {"manual": {"wet_slug": {"1000": record, "1001": {**record, "trip": None}}}}
    counts = benchmark.compliance(results, "manual", "wet_slug")
    assert counts == {"GB exceed.": 4, "EU exceed.": 4, "<850 5-min": 6, "aux MWh": 0.0, "trips": 1}
    assert set(kpis.STANDARDS) == {"gb18485", "eu_ied"}
