"""Hostile and extreme input (issue 16): every bad file or value stops with exit 2 and a
message naming the file, the line and the field, within seconds and a bounded amount of
memory; nothing crashes with a traceback, nothing is taken silently.

Categories (the counts are in NOTE-issue16.md): YAML files (size, encoding, depth, aliases,
duplicate keys, numbers), strict types and bounds, build-pipeline work, whole-file fuzzing.
Cases that could exhaust the machine on a regressed build run in a subprocess with a memory
limit and a timeout.
"""

from __future__ import annotations

import copy
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import ScenarioError, load_scenario, scenario_from_dict
from sim.cli import main
from sim.model.io import parse_yaml, scenario_from_yaml
from sim.model.yaml_safe import MAX_DEPTH, MAX_NODES, MAX_YAML_BYTES

ROOT = Path(__file__).resolve().parents[1]
BASE_TEXT = (ROOT / "scenarios" / "base.yaml").read_text()
BASE = yaml.safe_load(BASE_TEXT)

LIMIT_S = 30.0
LIMIT_BYTES = 1536 << 20  # 1.5 GiB: the budget for any bad input before exit 2


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def cli(*args: str, timeout: float = LIMIT_S, limit_memory: bool = True) -> tuple[int, str, float]:
    """Run ``python -m sim ARGS`` in a subprocess (under 1.5 GiB of address space):
    (exit code, stderr, seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        preexec_fn=_limit_memory if limit_memory else None,
    )
    return proc.returncode, proc.stderr, time.perf_counter() - t0


def _write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def _bomb(levels: int = 9, under: str = "name") -> str:
    """A "billion laughs" value: 9 levels of 9 aliases expand to 9**9 values, all of it
    under one key (so schema checks of other keys cannot stop it first)."""
    parts = ["&a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    parts += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return f"{under}: [" + ", ".join(parts) + "]\n"


def _base_with(old: str, new: str) -> str:
    assert old in BASE_TEXT, old
    return BASE_TEXT.replace(old, new, 1)


# --- YAML files ------------------------------------------------------------------------


def test_alias_bomb_under_name_is_refused_fast(tmp_path):
    p = _write(tmp_path, _bomb())
    code, err, seconds = cli("validate", str(p))
    assert code == 2, err
    assert "Traceback" not in err
    assert str(p) in err
    assert f"at most {MAX_NODES:,} values once aliases are expanded" in err
    assert "alias *a" in err
    assert "(line " in err
    assert len(err) < 2000  # the expanded value is never printed
    assert seconds < 10


def test_alias_bomb_as_numeric_parameter_names_the_field(tmp_path):
    # small anchors, expanded where the parameter is: the message names that field
    text = "x0: &x0 [" + ", ".join(["1"] * 500) + "]\n" + BASE_TEXT
    text = text.replace(
        "  initial_cash: 30.0e9", "  initial_cash: [" + ", ".join(["*x0"] * 300) + "]"
    )
    p = _write(tmp_path, text)
    code, err, _ = cli("validate", str(p))
    assert code == 2, err
    assert "finance.initial_cash" in err
    assert "expands to" in err


def test_alias_bomb_in_sweep_file_is_refused_fast(tmp_path):
    p = _write(tmp_path, "name: s\naxes:\n" + _bomb(under="  policy.planned_growth"))
    code, err, seconds = cli("sweep", str(p), "--out", str(tmp_path / "out"))
    assert code == 2, err
    assert "Traceback" not in err
    assert "expands to" in err
    assert seconds < LIMIT_S
    assert not (tmp_path / "out").exists()


def test_recursive_and_undefined_aliases(tmp_path):
    with pytest.raises(ScenarioError, match=r"recursive alias \*a"):
        parse_yaml("name: &a [1, *a]\n", "r.yaml")
    with pytest.raises(ScenarioError, match="found undefined alias"):
        parse_yaml("name: *nope\n", "u.yaml")


def test_too_many_aliases():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 1001) + "]\n"
    with pytest.raises(ScenarioError, match="more than 1,000 aliases"):
        parse_yaml(text, "many.yaml")


def test_deep_nesting_is_refused_without_recursion_error(tmp_path):
    p = _write(tmp_path, "name: " + "[" * 3000 + "]" * 3000 + "\n")
    code, err, _ = cli("validate", str(p))
    assert code == 2, err
    assert f"nested more than {MAX_DEPTH} levels deep" in err
    assert "RecursionError" not in err
    assert "Traceback" not in err
    # block style too, and a deep mapping in a sweep file
    deep = "".join(f"{' ' * i}k{i}:\n" for i in range(200)) + " " * 200 + "v: 1\n"
    with pytest.raises(ScenarioError, match="nested more than"):
        parse_yaml(deep, "deep.yaml")


_FLOW_SEQ = "demand: " + "[" * 3000 + "]" * 3000 + "\n"
_FLOW_MAP = "demand: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"
_BLOCK = "demand:\n" + "".join(f"{' ' * (i + 1)}k{i}:\n" for i in range(200)) + " " * 201 + "v: 1\n"


@pytest.mark.parametrize(
    ("text", "field"),
    [(_FLOW_SEQ, "demand[0][0]"), (_FLOW_MAP, "demand.a.a.a"), (_BLOCK, "demand.k0.k1.k2")],
    ids=["flow-sequence", "flow-mapping", "block"],
)
@pytest.mark.parametrize("command", ["validate", "sweep"])
def test_deep_nesting_names_the_project_limit_and_the_field(tmp_path, text, field, command):
    """The 32-level limit is the project's own, whatever libyaml's scanner does first (PyYAML
    6.0.4's libyaml stops flow nesting near 1,000 levels with its own message)."""
    p = _write(tmp_path, "name: deep\n" + text)
    code, err, _ = cli(command, str(p))
    assert code == 2, err
    assert f"nested more than {MAX_DEPTH} levels deep" in err
    assert field in err
    assert str(p) in err or p.name in err
    assert "Traceback" not in err
    # the same text as an upload (bytes) through the one YAML entry point
    with pytest.raises(ScenarioError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_yaml(text.encode(), "upload.yaml")


@pytest.mark.parametrize(
    ("literal", "chars"),
    [("9" * 5001, "5,001"), ("1" + "0" * 400, "401"), ("-" + "7" * 150, "151")],
)
def test_huge_integer_literals_are_refused(tmp_path, literal, chars):
    p = _write(tmp_path, _base_with("initial_cash: 30.0e9", f"initial_cash: {literal}"))
    code, err, _ = cli("validate", str(p), limit_memory=False)
    assert code == 2, err
    assert "finance.initial_cash (line" in err
    assert f"a number of {chars} characters" in err
    assert "Traceback" not in err


def test_huge_integer_through_the_python_api_is_a_scenario_error():
    data = copy.deepcopy(BASE)
    data["finance"]["initial_cash"] = 10**400
    with pytest.raises(ScenarioError, match=r"finance\.initial_cash: expected a finite number, got <integer of ~400 digits>"):  # fmt: skip
        scenario_from_dict(data, "api")


def test_duplicate_keys_name_both_lines(tmp_path):
    p = _write(tmp_path, BASE_TEXT + "\ncompute:\n  initial_gw: 2\n")
    code, err, _ = cli("validate", str(p), limit_memory=False)
    assert code == 2, err
    first = 1 + BASE_TEXT.splitlines().index(
        next(line for line in BASE_TEXT.splitlines() if line.startswith("compute:"))
    )
    again = len(BASE_TEXT.splitlines()) + 2
    assert f"duplicate key 'compute' (first at line {first}, again at line {again})" in err


def test_nested_duplicate_key_is_named():
    text = _base_with("  initial_gw: 1.9", "  initial_gw: 1.9\n  initial_gw: 3")
    with pytest.raises(ScenarioError, match=r"compute\.initial_gw \(line \d+\): duplicate key"):
        scenario_from_yaml(text, "d.yaml")
    # keys that differ only in spelling of the same value are the same key
    with pytest.raises(ScenarioError, match="duplicate key"):
        parse_yaml("a: {1: x, 0x1: y, 1: z}\n", "d.yaml")


def test_oversized_file_is_refused_before_reading(tmp_path):
    p = tmp_path / "big.yaml"
    with p.open("w") as fh:
        fh.write("name: big\ndescription: |\n")
        line = "  " + "x" * 98 + "\n"
        for _ in range(MAX_YAML_BYTES // len(line) + 10):
            fh.write(line)
    code, err, seconds = cli("validate", str(p))
    assert code == 2, err
    assert f"YAML inputs are limited to {MAX_YAML_BYTES:,} bytes" in err
    assert seconds < 10


def test_utf16_with_bom_is_read_and_binary_is_refused(tmp_path):
    utf16 = _write(tmp_path, BASE_TEXT.encode("utf-16"), "u16.yaml")
    assert load_scenario(utf16) == load_scenario(ROOT / "scenarios" / "base.yaml")
    no_bom = _write(tmp_path, BASE_TEXT.encode("utf-16-le"), "u16le.yaml")
    with pytest.raises(ScenarioError, match=r"not UTF-8 text|NUL characters"):
        load_scenario(no_bom)
    binary = _write(tmp_path, bytes(range(256)) * 4, "bin.yaml")
    with pytest.raises(ScenarioError, match=r"NUL characters|not UTF-8"):
        load_scenario(binary)
    latin1 = _write(tmp_path, "name: caf\xe9\n".encode("latin-1"), "l1.yaml")
    with pytest.raises(ScenarioError, match=r"not UTF-8 text: byte 0xe9 at offset 9"):
        load_scenario(latin1)


@pytest.mark.parametrize(
    "payload",
    [
        "\ufeff" + "axes: {policy.planned_growth: [2]}\nname: u\n",  # UTF-8 BOM: fine
        None,  # binary
        "utf16",
    ],
)
def test_sweep_file_encodings(tmp_path, payload):
    if payload is None:
        p = _write(tmp_path, b"\x89PNG\r\n\x1a\n" + bytes(range(200)), "sw.yaml")
    elif payload == "utf16":
        p = _write(tmp_path, "name: u\naxes: {policy.planned_growth: [1, 2]\n".encode("utf-16"), "sw.yaml")  # fmt: skip
    else:
        p = _write(tmp_path, payload.encode("utf-8"), "sw.yaml")
    from sim.analysis.sweep_spec import load_sweep

    if payload is not None and payload != "utf16":
        assert load_sweep(p).spec.name == "u"
        return
    code, err, _ = cli("sweep", str(p), "--out", str(tmp_path / "o"), limit_memory=False)
    assert code == 2, err
    assert "Traceback" not in err
    assert str(p) in err
    if payload == "utf16":  # decoded fine: the YAML error itself is reported, with its line
        assert "malformed YAML at line 3" in err


def test_multiple_documents_and_unsafe_tags():
    with pytest.raises(ScenarioError, match="more than one YAML document"):
        parse_yaml("name: a\n---\nname: b\n", "two.yaml")
    with pytest.raises(ScenarioError, match="python/object"):
        parse_yaml("name: !!python/object:os.system {}\n", "tag.yaml")


def test_validation_errors_carry_the_line(tmp_path):
    text = _base_with("  initial_gw: 1.9", "  initial_gw: -1")
    line = 1 + text.splitlines().index(next(x for x in text.splitlines() if "initial_gw: -1" in x))
    with pytest.raises(ScenarioError, match=rf"compute\.initial_gw \(line {line}\): must lie"):
        scenario_from_yaml(text, "l.yaml")
    text = _base_with("review_months: 12", "review_months: 0")
    with pytest.raises(ScenarioError, match=r"policy\.planned_growth\.review_months \(line \d+\)"):
        scenario_from_yaml(text, "l.yaml")


def test_error_messages_truncate_the_offending_value():
    data = copy.deepcopy(BASE)
    data["name"] = "n" * 1_000_000
    data["compute"]["lead_time_months"] = "soon" * 100_000
    data["demand"]["ceiling"] = list(range(100_000))
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, "big.yaml")
    text = str(info.value)
    assert len(text) < 3000, len(text)
    assert "name" in text
    assert "compute.lead_time_months" in text
    assert "demand.ceiling" in text


# --- strict types and bounds -----------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("paths: 10000", "paths: true", "simulation.paths"),
        ("years: 6", "years: true", "simulation.years"),
        ("seed: 2026", "seed: false", "simulation.seed"),
        ("review_months: 12", "review_months: true", "policy.planned_growth.review_months"),
        (
            "  min_training_share: 0.25",
            "  min_training_share: true",
            "allocation.min_training_share",
        ),
    ],
)
def test_booleans_are_not_numbers(old, new, field):
    text = _base_with(old, new)
    with pytest.raises(ScenarioError) as info:
        scenario_from_yaml(text, "b.yaml")
    assert field in str(info.value)
    assert "got true" in str(info.value) or "got false" in str(info.value) or "True" in str(info.value)  # fmt: skip


def _fixed(tranches: list[dict]) -> dict:
    data = copy.deepcopy(BASE)
    data["policy"] = {"kind": "fixed_schedule", "tranches": tranches}
    return data


@pytest.mark.parametrize(
    ("tranche", "words"),
    [
        ({"start": "2027-01", "gw": 1e300, "years": 5}, "less than or equal to 100000"),
        ({"start": "2027-01", "gw": True, "years": 5}, "got true"),
        ({"start": "2027-01", "gw": 1, "years": True}, "got true"),
        ({"start": "2027-01", "gw": float("inf"), "years": 5}, "finite"),
    ],
)
def test_tranche_values_are_bounded(tranche, words):
    with pytest.raises(ScenarioError, match=r"policy\.fixed_schedule\.tranches\[0\]") as info:
        scenario_from_dict(_fixed([tranche]), "t.yaml")
    assert words in str(info.value)


def test_tranche_after_the_horizon_runs_in_the_run_off_not_dropped():
    from sim import run

    s = scenario_from_dict(_fixed([{"start": "2034-01", "gw": 0.5, "years": 2}]), "late.yaml")
    res = run(s, paths=50, monthly_paths=50)
    late = res.runoff_monthly["capacity_gw"]
    offset = 12 * (2034 - 2026) - s.months
    assert res.monthly["capacity_gw"][:, -1].max() < 2.0 + 1e-9  # only what was signed before
    alive = res.runoff_monthly["alive"][:, offset] > 0
    assert alive.any()
    np.testing.assert_allclose(late[alive, offset] - late[alive, offset - 1], 0.5, atol=1e-9)


def test_tranche_after_the_horizon_is_named_on_stderr(tmp_path: Path):
    import yaml

    tranches = [
        {"start": "2026-06", "gw": 0.5, "years": 2},
        {"start": "2034-01", "gw": 0.5, "years": 2},
    ]
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(_fixed(tranches)))
    code, err, _ = cli("validate", str(path))
    assert code == 0
    assert "policy.tranches[1] (0.5 GW from 2034-01) comes online after the" in err
    assert "policy.tranches[0]" not in err  # inside the horizon: nothing to say
    assert "extend simulation.years" in err


@pytest.mark.parametrize(
    ("section", "key", "value", "allowed"),
    [
        ("finance", "initial_cash", 1e308, "[0, 1e+18]"),
        ("compute", "price_per_gw_year", 1e300, "[1, 1e+18]"),
        ("demand", "initial_revenue", 1e300, "[1, 1e+18]"),
        ("demand", "ceiling", 1e300, "(0, 1e+30]"),
        ("economics", "fixed_costs_per_year", 1e200, "[0, 1e+18]"),
        ("finance", "max_raise_per_year", 1e19, "[0, 1e+18]"),
        ("compute", "industry_gw_start", 1e9, "(0, 100000]"),
        ("compute", "industry_gw_max", 1e9, "(0, 100000]"),
        ("finance", "min_growth_to_raise", 1e300, "[0, 1e+06]"),
        ("demand", "growth", 1e-300, "[0.01, 100]"),
        ("policy", "planned_growth", 0.001, "[0.01, 100]"),
    ],
)
def test_every_magnitude_is_bounded(section, key, value, allowed):
    data = copy.deepcopy(BASE)
    data[section][key] = value
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, "m.yaml")
    assert section in str(info.value)
    assert f"{key}: must lie in {allowed}" in str(info.value)


def test_tiny_project_gw_is_refused_fast():
    data = copy.deepcopy(BASE)
    data["compute"]["build"] = {"project_gw": 1e-6}
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"greater than or equal to 0\.001"):
        scenario_from_dict(data, "p.yaml")
    data["compute"]["build"] = {"project_gw": 0.001}  # allowed alone, but 1.9 GW = 1,900 projects
    data["compute"]["build"]["replications"] = 100_000  # x 6 orders x 1,900 projects
    with pytest.raises(ScenarioError, match=r"slip model would simulate 1,140,000,000 projects"):
        scenario_from_dict(data, "p.yaml")
    data["compute"]["initial_gw"] = 50.0
    data["compute"]["build"] = {"project_gw": 0.001}
    with pytest.raises(ScenarioError, match=r"into 50,000 projects; at most 10,000"):
        scenario_from_dict(data, "p.yaml")
    assert time.perf_counter() - t0 < 2.0


@pytest.mark.parametrize(
    ("stage", "words"),
    [
        ({"dist": "fixed", "value": 1e300}, "<= 600 months"),
        ({"dist": "lognormal", "median": 12, "sigma": 50}, "<= 5"),
        ({"dist": "fixed", "value": True}, "got true"),
    ],
)
def test_build_stage_durations_are_bounded(stage, words):
    data = copy.deepcopy(BASE)
    data["compute"]["build"] = {"site_power_months": stage}
    with pytest.raises(ScenarioError, match=r"compute\.build\.site_power_months") as info:
        scenario_from_dict(data, "b.yaml")
    assert words in str(info.value)


def test_slips_that_stretch_the_run_off_past_the_limit_are_refused(tmp_path):
    data = copy.deepcopy(BASE)
    data["compute"]["initial_gw"] = 100.0  # 100 projects an order, one slot, 50 years each
    data["compute"]["build"] = {
        "project_gw": 1.0, "interconnect_slots": 1, "build_slots": 1, "replications": 2,
        "site_power_months": {"dist": "fixed", "value": 600},
    }  # fmt: skip
    p = _write(tmp_path, yaml.safe_dump(data))
    assert main(["run", str(p), "--paths", "10", "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


# Scenarios at the bounds: the model stays finite (inf never; NaN only where a statistic is
# undefined: training share without capacity, margin without revenue).
_HI = {
    "simulation.years": 50, "demand.growth": 100, "demand.volatility": 2.0,
    "demand.ceiling": 1e30, "demand.initial_revenue": 1e18, "demand.growth_persistence": 1.0,
    "demand.diffusion_lag_years": 0, "compute.price_per_gw_year": 1e18,
    "economics.gross_margin": 0.9999999999999999, "compute.revenue_per_gw_growth": 100,
    "compute.price_pass_through": 0, "compute.lead_time_months": 120,
    "compute.contract_years": 30, "compute.industry_gw_start": 1e5,
    "compute.industry_growth": 100, "compute.max_industry_share": 1.0,
    "compute.initial_gw": 1e5, "compute.initial_contract_years_left": 50,
    "finance.initial_cash": 1e18, "economics.fixed_costs_per_year": 0,
    "finance.max_raise_per_year": 1e18, "finance.valuation_multiple": 1000,
    "finance.raise_when_runway_months_below": 1200, "finance.min_growth_to_raise": 0,
    "allocation.training_share": 0.0, "allocation.min_training_share": 0.0,
    "demand.capability_jump": {"at_year": 2030, "multiplier": 1000},
}  # fmt: skip
_LO = {
    "simulation.years": 50, "demand.growth": 0.01, "demand.volatility": 2.0,
    "demand.initial_revenue": 1.0, "demand.diffusion_lag_years": 0,
    "demand.capability_jump": {"at_year": 2027, "multiplier": 0.001},
    "compute.price_per_gw_year": 1.0, "economics.gross_margin": -1.0,
    "compute.revenue_per_gw_growth": 0.01, "compute.industry_growth": 1e-300,
    "compute.industry_gw_start": 1e-300, "compute.max_industry_share": 1e-300,
    "compute.initial_gw": 0, "finance.initial_cash": 0, "economics.fixed_costs_per_year": 0,
    "finance.valuation_multiple": 0, "compute.lead_time_months": 0,
    "compute.contract_years": 1 / 12,
}  # fmt: skip
_POLICIES = {
    "planned": {
        "kind": "planned_growth",
        "planned_growth": 100,
        "review_months": 1,
        "plan_to_ceiling": False,
    },
    "adaptive": {
        "kind": "adaptive",
        "prior_growth": 0.01,
        "prior_weight_years": 0,
        "review_months": 1,
    },
    "quantile": {"kind": "demand_quantile", "q": 0.999999, "review_months": 1, "pilot_paths": 100},
    "fixed": {
        "kind": "fixed_schedule",
        "tranches": [
            {"start": "2105-12", "gw": 1e5, "years": 30},
            {"start": "2026-01", "gw": 1e5, "years": 30},
        ],
    },
}
_UNDEFINED = {"training_share", "gross_margin",  # without capacity / revenue
              "breaking_commitment_month"}  # a path that never goes bankrupt  # fmt: skip
_NO_COMPETITION = {"relative_capability", "demand_share", "relative_capability_end", "demand_share_end"}  # fmt: skip
_NO_COMPETITION |= {  # the market's records, NaN without a market (docs/model.md 5d)
    "market_demand", "rivals_gw", "industry_gw", "contract_price", "spot_price",
    "lost_to_rivals", "unserved_by_market", "market_served", "market_share",
    "rivals_capacity_gw", "industry_capacity_gw", "cum_lost_to_rivals",
    "cum_unserved_by_market", "final_market_demand", "cum_rationed_gw",
}  # fmt: skip


def _at_bounds(values: dict, policy: dict):
    data = copy.deepcopy(BASE)
    data.pop("correlations", None)
    data.pop("market", None)  # a lone lab: its bounds (industry_growth 1e-300, a price of 1)
    data.pop("competition", None)  # are outside a market's (growth >= 1, floor < price)
    data["compute"].pop("industry_gw_max", None)
    for dotted, v in values.items():
        section, key = dotted.split(".")
        data.setdefault(section, {})[key] = v
    data["policy"] = policy
    return scenario_from_dict(data, "bounds")


@pytest.mark.slow
@pytest.mark.parametrize("side", ["hi", "lo"])
@pytest.mark.parametrize("policy", list(_POLICIES))
def test_scenarios_at_the_bounds_stay_finite(side, policy):
    from sim import run, summarize
    from sim.outputs import json_safe

    s = _at_bounds(_HI if side == "hi" else _LO, _POLICIES[policy])
    res = run(s, paths=32, monthly_paths=32)
    for store in ("path", "yearly", "runoff_yearly", "monthly"):
        for key, values in getattr(res, store).items():
            v = np.asarray(values, dtype=float)
            assert not np.isinf(v).any(), f"{store}.{key} has inf"
            if key not in _UNDEFINED | _NO_COMPETITION:  # NaN by definition (documented)
                assert not np.isnan(v).any(), f"{store}.{key} has NaN"
    summary = json_safe(summarize(res))  # NaN statistics become null, nothing else changes
    assert summary["p_bankrupt"] == summarize(res)["p_bankrupt"]


# --- whole-file fuzzing ----------------------------------------------------------------

_base_lines = BASE_TEXT.splitlines(keepends=True)
_fragments = st.sampled_from(
    [
        "&a ", "*a", "<<: *a\n", "- ", "[", "]", "{", "}", ": ", "\n", "  ", "!!python/object:x ",
        "compute:\n", "name: x\n", "'", '"', "\t", "\ufeff", "\x00", "1e400", "9" * 200,
        ".inf", "~", "true", "&b [*a, *a, *a, *a]\n", "? ", "%YAML 1.1\n", "---\n",
    ]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_base_lines)), _fragments), max_size=4),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1"]),
)
def test_fuzzed_files_fail_cleanly(edits, encoding):
    lines = list(_base_lines)
    for at, fragment in edits:
        lines.insert(at, fragment)
    data = "".join(lines).encode(encoding, errors="replace")
    try:
        scenario_from_yaml(data, "fuzz.yaml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.yaml: invalid scenario")  # noqa: PT017
        assert len(str(exc)) < 5000  # noqa: PT017


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzzed_bytes_fail_cleanly(data):
    try:
        parse_yaml(data, "bytes.yaml")
    except ScenarioError as exc:
        assert str(exc).startswith("bytes.yaml: invalid")  # noqa: PT017


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 12), st.integers(2, 12), st.booleans())
def test_fuzzed_alias_bombs_are_bounded(width, depth, duplicate):
    lines = ["a0: &a0 [" + ", ".join(["1"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, depth)]
    if duplicate:
        lines.append("a0: 2")
    text = "\n".join(lines) + "\n"
    sizes = [1 + width]  # a list node and its values, aliases expanded
    for _ in range(1, depth):
        sizes.append(1 + width * sizes[-1])
    expanded = 1 + sum(1 + size for size in sizes)  # the top mapping, each key and value
    t0 = time.perf_counter()
    try:
        data = parse_yaml(text, "bomb.yaml")
    except ScenarioError as exc:
        if expanded > MAX_NODES:
            assert "expands to" in str(exc)  # noqa: PT017
        else:
            assert duplicate
            assert "duplicate key 'a0'" in str(exc)  # noqa: PT017
    else:
        assert not duplicate
        assert expanded <= MAX_NODES
        assert isinstance(data, dict)
    assert time.perf_counter() - t0 < 2.0


def test_magnitude_caps_accept_unbounded_tails_that_stay_finite():
    data = copy.deepcopy(BASE)
    data["finance"]["initial_cash"] = {"dist": "lognormal", "median": 30e9, "sigma": 0.5}
    assert scenario_from_dict(data, "ok.yaml").finance.initial_cash.sigma == 0.5
    data["finance"]["initial_cash"] = {"dist": "lognormal", "median": 30e9, "sigma": 20}
    with pytest.raises(ScenarioError, match=r"finance\.initial_cash: must lie in \[0, 1e\+18\]"):
        scenario_from_dict(data, "big.yaml")


def test_shared_reference_bomb_through_the_python_api_is_never_expanded():
    bomb: list = ["lol"] * 9
    for _ in range(9):
        bomb = [bomb] * 9  # 9**10 values if expanded
    t0 = time.perf_counter()
    for section, key in (("name", None), ("finance", "initial_cash"), ("simulation", "start")):
        data = copy.deepcopy(BASE)
        if key is None:
            data[section] = bomb
        else:
            data[section][key] = bomb
        with pytest.raises(ScenarioError) as info:
            scenario_from_dict(data, "api")
        assert len(str(info.value)) < 1000
    assert time.perf_counter() - t0 < 5
