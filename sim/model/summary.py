"""Key numbers of a run: the content of ``summary.json`` and the per-year table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .results import Results, calendar_years
from .store import DiskColumns

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 2
"""Version of the ``summary.json`` layout; 2 added run-off figures and provenance."""


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``k / n`` (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _nan_quantile(x: np.ndarray, q: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.quantile(x, q)) if x.size else float("nan")


def year_column(store: Mapping[str, np.ndarray], key: str, j: int) -> np.ndarray:
    """Year ``j`` of a per-year statistic, shape (paths,): read alone from a run spilled
    to disk (:class:`sim.model.store.DiskColumns`), sliced from memory otherwise."""
    if isinstance(store, DiskColumns):
        return store.year(key, j)
    return store[key][:, j]


def _nanmean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def by_year(results: Results) -> pd.DataFrame:
    """:func:`by_year_rows` as a table, one row per calendar year of the horizon."""
    import pandas as pd

    return pd.DataFrame(by_year_rows(results))


def by_year_rows(results: Results) -> list[dict[str, Any]]:
    """One row per calendar year of the horizon (plain Python numbers: ``summary.json``'s
    ``by_year``; no pandas needed).

    Revenue, demand and compute cost are USD in the year; capacity and cash at year end;
    ``unserved_share_mean`` averages unserved / potential demand over paths still solvent at
    year end; ``p_bankrupt`` is cumulative to the end of the year. Columns are read one year
    at a time, so a run spilled to disk needs memory for one (paths,) array per statistic.
    """
    y = results.yearly
    bm = results.path["bankrupt_month"]
    cal = calendar_years(results.scenario)
    rows = []
    for j, year in enumerate(results.years):
        last_month = int(np.flatnonzero(cal == year)[-1])

        def col(key: str, j: int = j) -> np.ndarray:
            return year_column(y, key, j)

        revenue = col("revenue")
        solvent = col("alive").astype(bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            unserved = col("unserved")[solvent] / col("demand")[solvent]
        rows.append(
            {
                "year": int(year),
                "months": int((cal == year).sum()),
                "revenue_p5": float(np.quantile(revenue, 0.05)),
                "revenue_p50": float(np.quantile(revenue, 0.50)),
                "revenue_p95": float(np.quantile(revenue, 0.95)),
                "revenue_mean": float(revenue.mean()),
                "demand_p50": float(np.quantile(col("demand"), 0.5)),
                "capacity_gw_p50": float(np.quantile(col("capacity_gw_end"), 0.5)),
                "training_gw_p50": float(np.quantile(col("training_gw_mean"), 0.5)),
                "compute_cost_p50": float(np.quantile(col("compute_cost"), 0.5)),
                "profit_p50": float(np.quantile(col("profit"), 0.5)),
                "training_share_p50": _nan_quantile(col("training_share"), 0.5),
                "unserved_share_mean": _nanmean(unserved),
                "gross_margin_p50": _nan_quantile(col("gross_margin"), 0.5),
                "cash_p50": float(np.quantile(col("cash"), 0.5)),
                "raised_mean": float(col("raised").mean()),
                "p_bankrupt": float(((bm >= 0) & (bm <= last_month)).mean()),
                "training_compute_p50": float(np.quantile(col("training_compute_end"), 0.5)),
                "lost_demand_mean": float(col("lost").mean()),
                **(_competition_row(col) if results.scenario.competition is not None else {}),
                **_market_row(col, solvent, results.scenario.market is not None),
                **(_finance_row(col) if uses_finance(results.scenario) else {}),
            }
        )
    return rows


def _competition_row(col: Any) -> dict[str, float]:
    """Per-year competition figures: the lab's effective training compute relative to rivals
    [doublings, 0 = parity] and its share of frontier demand, at year end, medians."""
    return {
        "relative_capability_p50": _nan_quantile(col("relative_capability_end"), 0.5),
        "demand_share_p50": _nan_quantile(col("demand_share_end"), 0.5),
        "demand_share_p10": _nan_quantile(col("demand_share_end"), 0.1),
        "demand_share_p90": _nan_quantile(col("demand_share_end"), 0.9),
    }


MARKET_YEAR_KEYS = (
    "market_demand_p50", "market_share_p50", "rivals_capacity_gw_p50",
    "industry_capacity_gw_p50", "contract_price_p50", "spot_price_p50",
    "lost_to_rivals_share_mean", "unserved_by_market_share_mean",
)  # fmt: skip
"""Per-year market figures (``None`` without a market)."""


def _market_row(col: Any, solvent: np.ndarray, on: bool) -> dict[str, float | None]:
    """Per-year market figures: market demand [USD in the year], the lab's share of the
    revenue the market served [0..1], rivals' GW and industry supply [GW, means over the
    year], contract and spot prices [USD/GW-yr, means over the year] (medians); the lab's
    unserved demand split into what rivals served and what nobody served, as shares of its
    potential demand (means over paths solvent at year end, like unserved_share_mean)."""
    if not on:
        return dict.fromkeys(MARKET_YEAR_KEYS)
    with np.errstate(invalid="ignore", divide="ignore"):
        demand = col("demand")[solvent]
        to_rivals = col("lost_to_rivals")[solvent] / demand
        nobody = col("unserved_by_market")[solvent] / demand
    return {
        "market_demand_p50": float(np.quantile(col("market_demand"), 0.5)),
        "market_share_p50": _nan_quantile(col("market_share"), 0.5),
        "rivals_capacity_gw_p50": float(np.quantile(col("rivals_capacity_gw"), 0.5)),
        "industry_capacity_gw_p50": float(np.quantile(col("industry_capacity_gw"), 0.5)),
        "contract_price_p50": float(np.quantile(col("contract_price"), 0.5)),
        "spot_price_p50": float(np.quantile(col("spot_price"), 0.5)),
        "lost_to_rivals_share_mean": _nanmean(to_rivals),
        "unserved_by_market_share_mean": _nanmean(nobody),
    }


def market_figures(results: Results) -> dict[str, Any]:
    """The lab's unserved demand split (shares of its potential demand over the horizon,
    summing to ``unserved_share_of_demand``), GW of its orders cut by supply rationing
    (mean over paths), and how ``equity_value`` is computed; ``None`` without a market."""
    keys = ("lost_to_rivals_share", "unserved_by_market_share", "rationed_gw_mean")
    if results.scenario.market is None:
        return {**dict.fromkeys(keys), "equity_value_method": VALUE_METHOD_LONE}
    path = results.path
    demand = path["cum_demand"].sum()
    return {
        "lost_to_rivals_share": float(path["cum_lost_to_rivals"].sum() / demand),
        "unserved_by_market_share": float(path["cum_unserved_by_market"].sum() / demand),
        "rationed_gw_mean": float(path["cum_rationed_gw"].mean()),
        "equity_value_method": VALUE_METHOD_MARKET,
    }


VALUE_METHOD_LONE = (
    "finance.valuation_multiple x final revenue run-rate + cash - take-or-pay still owed - debt"
)
VALUE_METHOD_MARKET = (
    "multiple falling from finance.valuation_multiple to market.mature_multiple as market "
    "demand nears its ceiling, x final revenue run-rate + cash - take-or-pay still owed - debt"
)


def uses_finance(scenario: Any) -> bool:
    """Whether a scenario turns on deals, debt, a credit check, sublease or termination."""
    f, c = scenario.finance, scenario.compute
    return (
        bool(scenario.deals)
        or f.debt is not None
        or f.credit_limit is not None
        or (c.termination_fee is not None or c.sublease_recovery != 0)
    )


def _finance_row(col: Any) -> dict[str, float]:
    """Per-year finance figures: debt at year end (median), interest, sublease revenue and
    termination fees in the year [USD], GW refused by the credit check (means)."""
    return {
        "debt_p50": float(np.quantile(col("debt_end"), 0.5)),
        "interest_mean": float(col("interest").mean()),
        "sublease_revenue_mean": float(col("sublease_revenue").mean()),
        "refused_gw_mean": float(col("refused_gw").mean()),
        "termination_fees_mean": float(col("termination_fees").mean()),
    }


RUNOFF_COLUMNS = ("year", "months", "p_bankrupt", "obligations_running", "revenue_p50",
                  "compute_cost_p50", "capacity_gw_p50", "cash_p50")  # fmt: skip


def runoff_by_year(results: Results) -> pd.DataFrame:
    """:func:`runoff_by_year_rows` as a table (with its columns even without run-off)."""
    import pandas as pd

    return pd.DataFrame(runoff_by_year_rows(results), columns=list(RUNOFF_COLUMNS))


def runoff_by_year_rows(results: Results) -> list[dict[str, Any]]:
    """One row per calendar year of the run-off (after the horizon, no new orders).

    ``p_bankrupt`` is cumulative from the start (horizon included); ``obligations_running``
    the share of paths solvent at year end that still pay for a contract; compute cost
    [USD in the year], capacity [GW at year end], revenue and cash are medians over all paths
    (0 revenue and frozen cash for bankrupt paths).
    """
    if not results.runoff_count:
        return []
    y = results.runoff_yearly
    bm = results.path["bankrupt_month"]
    cal = calendar_years(results.scenario, results.runoff_count, results.horizon_months)
    rows = []
    for j, year in enumerate(results.runoff_years):
        last_month = results.horizon_months + int(np.flatnonzero(cal == year)[-1])
        solvent = year_column(y, "alive", j).astype(bool)
        paying = solvent & (year_column(y, "compute_cost", j) > 0)
        rows.append(
            {
                "year": int(year),
                "months": int((cal == year).sum()),
                "p_bankrupt": float(((bm >= 0) & (bm <= last_month)).mean()),
                "obligations_running": float(paying.sum() / max(1, solvent.sum())),
                **{f"{key}_p50": float(np.quantile(year_column(y, src, j), 0.5))
                   for key, src in (("revenue", "revenue"), ("compute_cost", "compute_cost"),
                                    ("capacity_gw", "capacity_gw_end"), ("cash", "cash"))},
            }
        )  # fmt: skip
    return rows


def truncated_tranches(results: Results) -> list[dict[str, Any]]:
    """Fixed tranches the supply cap cut: index, start, GW asked, mean GW cut over all paths
    and the share of paths where it was cut (an empty list when none was cut)."""
    from .scenario import FixedSchedule

    policy = results.scenario.policy
    cut = results.truncation
    if not isinstance(policy, FixedSchedule) or not cut:
        return []
    out = []
    for k, tr in enumerate(policy.tranches):
        if cut["paths_cut"][k] > 0:
            out.append(
                {"index": k, "start": tr.start, "gw": tr.gw,
                 "truncated_gw": float(cut["gw_sum"][k] / results.paths),
                 "share_of_paths": float(cut["paths_cut"][k] / results.paths)}
            )  # fmt: skip
    return out


def truncated_deals(results: Results) -> list[dict[str, Any]]:
    """Deals the supply cap cut: index, signed, start, GW asked, mean GW cut over all paths
    and the share of paths where it was cut (an empty list when none was cut)."""
    cut = results.truncation
    if "deal_paths_cut" not in cut:
        return []
    out = []
    for k, deal in enumerate(results.scenario.deals):
        if cut["deal_paths_cut"][k] > 0:
            out.append(
                {"index": k, "signed": deal.signed or results.scenario.simulation.start,
                 "start": deal.start, "gw": deal.gw,
                 "truncated_gw": float(cut["deal_gw_sum"][k] / results.paths),
                 "share_of_paths": float(cut["deal_paths_cut"][k] / results.paths)}
            )  # fmt: skip
    return out


_SUPPLY_KEYS = "compute.industry_gw_start, industry_growth, industry_gw_max, max_industry_share"


def truncation_warnings(summary: dict[str, Any]) -> list[str]:
    """One plain sentence per tranche or deal the supply cap cut (for stderr)."""
    return [
        f"warning: policy.tranches[{t['index']}] ({t['gw']:g} GW from {t['start']}) exceeds "
        f"what the industry supply cap leaves for this lab: cut by {t['truncated_gw']:.3g} GW "
        f"on average, on {t['share_of_paths']:.0%} of paths (see {_SUPPLY_KEYS})"
        for t in summary.get("truncated_tranches", [])
    ] + [
        f"warning: deals[{t['index']}] ({t['gw']:g} GW from {t['start']}, signed {t['signed']}) "
        f"exceeds what the industry supply cap leaves for this lab: cut by "
        f"{t['truncated_gw']:.3g} GW on average, on {t['share_of_paths']:.0%} of paths "
        f"(see {_SUPPLY_KEYS})"
        for t in summary.get("truncated_deals", [])
    ]


def _p50_p90(values: np.ndarray) -> dict[str, float]:
    # One quantile call for both: one partition, the same bits as two calls.
    p50, p90 = np.quantile(values, [0.5, 0.9])
    return {"p50": float(p50), "p90": float(p90)}


def decision_units(results: Results) -> dict[str, Any]:
    """What a CFO signs, per calendar year the capacity comes online: new GW
    (``gw_by_delivery_year``) and nominal take-or-pay value of the new contracts
    (``commitment_usd_by_year``) [USD], P50 and P90 over paths, for the years in which any
    path commits; contracts signed before the start are not included."""
    c = results.commitments
    if not c:
        return {"gw_by_delivery_year": {}, "commitment_usd_by_year": {}}
    gw: dict[str, Any] = {}
    usd: dict[str, Any] = {}
    if not isinstance(c, DiskColumns):  # every year at once: the same bits as year by year
        new_gw, new_usd = np.asarray(c["new_gw"]), np.asarray(c["new_commitment_usd"])
        active = np.flatnonzero(np.any(new_gw > 0, axis=0))
        if active.size:
            q_gw = np.quantile(new_gw[:, active], [0.5, 0.9], axis=0)
            q_usd = np.quantile(new_usd[:, active], [0.5, 0.9], axis=0)
            for k, j in enumerate(active):
                year = str(int(results.commitment_years[j]))
                gw[year] = {"p50": float(q_gw[0, k]), "p90": float(q_gw[1, k])}
                usd[year] = {"p50": float(q_usd[0, k]), "p90": float(q_usd[1, k])}
        return {"gw_by_delivery_year": gw, "commitment_usd_by_year": usd}
    for j, year in enumerate(results.commitment_years):
        new_gw = year_column(c, "new_gw", j)
        if not np.any(new_gw > 0):
            continue
        gw[str(int(year))] = _p50_p90(new_gw)
        usd[str(int(year))] = _p50_p90(year_column(c, "new_commitment_usd", j))
    return {"gw_by_delivery_year": gw, "commitment_usd_by_year": usd}


def bankruptcy_by_commitment_year(results: Results) -> dict[str, float]:
    """P(bankrupt) split by the calendar year in which the lab signed the last commitment
    before it failed (``before_start``: it signed nothing new); sums to P(bankrupt)."""
    path = results.path
    bm = path["bankrupt_month"]
    month = path["breaking_commitment_month"][bm >= 0]
    start_year, start_month = map(int, results.scenario.simulation.start.split("-"))
    out: dict[str, float] = {}
    before = month < 0
    if before.any():
        out["before_start"] = float(before.sum() / results.paths)
    years = start_year + (start_month - 1 + month[~before].astype(int)) // 12
    for year, count in zip(*np.unique(years, return_counts=True), strict=True):
        out[str(int(year))] = float(count / results.paths)
    return out


def finance_figures(results: Results) -> dict[str, Any]:
    """Debt, credit, sublease and termination figures (all 0 when the mechanisms are off)."""
    path = results.path
    debt = path["debt_at_end"]
    refused = path["cum_refused_gw"]
    return {
        "debt_at_end_p50": float(np.quantile(debt, 0.5)),
        "debt_at_end_p90": float(np.quantile(debt, 0.9)),
        "interest_mean": float(path["cum_interest"].mean()),
        "sublease_revenue_mean": float(path["cum_sublease_revenue"].mean()),
        "refused_gw_mean": float(refused.mean()),
        "p_refused": float((refused > 1e-9).mean()),
        "termination_fees_mean": float(path["cum_termination_fees"].mean()),
        "discounted_cash_flow_p50": float(np.quantile(path["discounted_cash_flow"], 0.5)),
        "discounted_cash_flow_mean": float(path["discounted_cash_flow"].mean()),
    }


def provenance(results: Results) -> dict[str, Any]:
    """What produced a result: schema version, package version, the resolved scenario."""
    from sim import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "package_version": __version__,
        "scenario_resolved": results.scenario.model_dump(
            by_alias=True, exclude_none=True, mode="json"
        ),
    }


def summarize(results: Results) -> dict[str, Any]:
    """JSON-ready summary: P(bankrupt) with run-off (headline) and within the horizon, each
    with its 95% CI; obligations at the end of the horizon; per-year tables; provenance."""
    s = results.scenario
    k = int(results.bankrupt.sum())
    lo, hi = wilson_interval(k, results.paths)
    k_in = int(results.bankrupt_in_horizon.sum())
    path = results.path
    bm = path["bankrupt_month"]
    solvent_at_end = (bm < 0) | (bm >= results.horizon_months)
    owed = path["obligations_at_end"][solvent_at_end]
    in_horizon = bm[(bm >= 0) & (bm < results.horizon_months)]
    truncated = path["truncated_gw"]
    return {
        **provenance(results),
        "scenario": s.name,
        "description": s.description,
        "paths": results.paths,
        "seed": s.simulation.seed,
        "start": s.simulation.start,
        "months": s.months,
        "runoff_months": results.total_months - results.horizon_months,
        "p_bankrupt": k / results.paths,
        "p_bankrupt_ci95": [lo, hi],
        "p_bankrupt_in_horizon": k_in / results.paths,
        "p_bankrupt_in_horizon_ci95": list(wilson_interval(k_in, results.paths)),
        "median_months_to_bankruptcy": float(np.median(in_horizon)) if k_in else None,
        "obligations_at_end_p50": float(np.quantile(owed, 0.5)) if owed.size else None,
        "obligations_at_end_p90": float(np.quantile(owed, 0.9)) if owed.size else None,
        "truncated_gw": float(truncated.mean()),
        "truncated_gw_max": float(truncated.max()) if truncated.size else 0.0,
        "truncated_tranches": truncated_tranches(results),
        "truncated_deals": truncated_deals(results),
        "cum_revenue_p50": float(np.quantile(path["cum_revenue"], 0.5)),
        "cum_revenue_p90": float(np.quantile(path["cum_revenue"], 0.9)),
        "unserved_share_of_demand": float(path["cum_unserved"].sum() / path["cum_demand"].sum()),
        "lost_share_of_demand": float(
            path["cum_lost"].sum() / (path["cum_demand"].sum() + path["cum_lost"].sum())
        ),
        "equity_value_p50": float(np.quantile(path["equity_value"], 0.5)),
        "equity_value_mean": float(path["equity_value"].mean()),
        **market_figures(results),
        "final_run_rate_p50": float(np.quantile(path["final_run_rate"], 0.5)),
        **decision_units(results),
        "p_bankrupt_by_commitment_year": bankruptcy_by_commitment_year(results),
        **finance_figures(results),
        "elapsed_s": results.elapsed_s,
        "by_year": by_year_rows(results),
        "runoff_by_year": runoff_by_year_rows(results),
        **_conditioning(results),
    }


def _conditioning(results: Results) -> dict[str, Any]:
    """``as_of`` and ``ess`` of a run conditioned on actuals (nothing for a plain run)."""
    c = results.conditioning
    return {} if c is None else {"as_of": c["as_of"], "ess": c["ess"]}
