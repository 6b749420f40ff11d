"""scripts/benchmark.py end to end on a tiny matrix: files, keys, normalisation, determinism."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sim import kpis

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
#: Tiny matrix: 2 controllers x 2 scenarios x 2 seeds of 12 min each.
TINY = ["--controllers", "manual,rule_based", "--scenarios", "steady_design,load_change",
        "--seeds", "1000,1001", "--hours", "0.2", "--no-progress"]


@pytest.fixture(scope="module")
def benchmark():
    """The script as a module (importable by the worker processes too)."""
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(SCRIPTS))
    import benchmark as module

    yield module
    mp.undo()


@pytest.fixture(scope="module")
def serial(benchmark, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    assert benchmark.main([*TINY, "--workers", "1", "--out", str(out)]) == 0
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


def test_summary_is_normalised_to_rule_based(serial, benchmark):
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


def test_parallel_workers_give_the_same_results(serial, benchmark, tmp_path):
    assert benchmark.main([*TINY, "--workers", "2", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "results.json").read_bytes() == (serial / "results.json").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--controllers", "manual,nope"], "unknown controller 'nope'"),
    (["--controllers", "sb3:/no/such/model.zip"], "model.zip"),
    (["--scenarios", "steady_design,nope"], "unknown scenario 'nope'"),
    (["--seeds", "first"], "--seeds 'first'"),
    (["--workers", "0"], "--workers 0"),
])
def test_bad_options_fail_before_running(benchmark, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        benchmark.main([*args, "--out", str(tmp_path / "never")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_trips_are_counted_in_results_and_summary(benchmark):
    record = {"trip": "flame loss (furnace temperature)", "hours_run": 0.5,
              "gb18485": {"exceedances": {"co": {"1h": 2}}, "furnace_below_850_5min_count": 3, "aux_fuel_mwh": 0.0},
              "eu_ied": {"exceedances": {"co": {"10min": 1, "30min": 1}}}}
    results = {"manual": {"wet_slug": {"1000": record, "1001": {**record, "trip": None}}}}
    counts = benchmark.compliance(results, "manual", "wet_slug")
    assert counts == {"GB exceed.": 4, "EU exceed.": 4, "<850 5-min": 6, "aux MWh": 0.0, "trips": 1}
    assert set(kpis.STANDARDS) == {"gb18485", "eu_ied"}
