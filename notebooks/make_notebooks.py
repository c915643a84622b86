"""Generate the notebooks in this folder from reviewable Python source (outputs stripped).

Run from the repository root or from ``notebooks/``::

    python notebooks/make_notebooks.py

Each notebook is a list of ("md" | "code", text) cells. Notebooks run with ``notebooks/`` as
the working directory and use small path counts (<= 2000) so CI executes them in seconds.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

TOUR = [
    ("md", """# 01 - Guided tour: DOMAIN.md's worked numbers with the public API

This notebook reproduces the stylized facts of `DOMAIN.md` with `sim`'s public API:

1. the **$100B steady state** (half inference at a 2/3 margin: $150B revenue, $50B profit);
2. **profitable exactly when gross margin > training share** (steady state, perfect forecast);
3. the **price check**: a $300B, five-year deal for 4.5 GW is ~$13.3B per GW-year;
4. the **10x dilemma**: $10B -> $100B -> $1T, and what a ~$1T/yr compute bet does when
   growth is 10x, 5x, or a year late.

Every check is an `assert`, so the notebook fails loudly in CI if the model drifts."""),
    ("code", """from pathlib import Path

import numpy as np
import pandas as pd

from sim import by_year, load_scenario, run, summarize
from sim.analysis.compare import compare_results, format_table
from sim.outputs import usd

SCENARIOS = Path("..") / "scenarios"
pd.set_option("display.width", 120)"""),
    ("md", """## 1. The $100B steady state

$100B a year of compute at $12B per GW-year is 8.33 GW. Half of it serves customers: at a
2/3 gross margin, $50B of inference compute supports $150B of revenue. The other $50B
trains models. Profit: $150B - $100B = **$50B a year**."""),
    ("code", """steady = load_scenario(SCENARIOS / "steady_state_100b.yaml")
res = run(steady, paths=200)
table = by_year(res)[["year", "revenue_p50", "compute_cost_p50", "profit_p50",
                      "training_share_p50", "p_bankrupt"]]
print(table.to_string(index=False))
assert np.allclose(table["revenue_p50"], 150e9)
assert np.allclose(table["compute_cost_p50"], 100e9)
assert np.allclose(table["profit_p50"], 50e9)
assert summarize(res)["p_bankrupt"] == 0.0"""),
    ("md", """## 2. Profitable iff gross margin > training share

In steady state with a perfect forecast, a share `s` of compute trains and `1 - s` serves
demand exactly. Revenue per dollar of compute is `(1 - s) / (1 - m)` for a gross margin `m`,
so profit is positive exactly when `m > s`. We build that world for a grid of margins and
training shares (demand set to what the inference share serves) and read first-year profit."""),
    ("code", """def steady_world(margin: float, share: float):
    price, gw = 12e9, 100e9 / 12e9
    demand = (1 - share) * gw * price / (1 - margin)   # exactly what inference can serve
    return steady.replace(**{
        "economics.gross_margin": margin,
        "allocation.training_share": share,
        "allocation.min_training_share": min(share, 0.25),
        "demand.initial_revenue": demand,
    })

rows = []
for m in (0.35, 0.45, 0.55, 0.65, 0.75):
    for s in (0.3, 0.5, 0.7):
        profit = by_year(run(steady_world(m, s), paths=20))["profit_p50"].iloc[0]
        rows.append({"gross_margin": m, "training_share": s, "profit_2026": profit})
grid = pd.DataFrame(rows)
print(grid.pivot(index="gross_margin", columns="training_share", values="profit_2026")
      .map(usd).to_string())
assert ((grid["profit_2026"] > 0) == (grid["gross_margin"] > grid["training_share"])).all()"""),
    ("md", """## 3. Price check

A reported $300B, five-year deal for 4.5 GW: $300B / 5 years / 4.5 GW."""),
    ("code", """per_gw_year = 300e9 / 5 / 4.5
print(f"{usd(per_gw_year)} per GW-year")
assert 10e9 <= per_gw_year <= 15e9 and abs(per_gw_year - 13.33e9) < 0.01e9
# At that price the steady state's $100B buys 7.5 GW instead of 8.33 GW:
print(f"{100e9 / per_gw_year:.2f} GW for $100B a year")"""),
    ("md", """## 4. The 10x dilemma

With a $10B run-rate at the start of 2026 and 10x growth, potential demand is $100B by the
end of 2026 and ~$1T by the end of 2027 (a little less here: growth fades as demand nears
the $10T ceiling)."""),
    ("code", """yolo = load_scenario(SCENARIOS / "yolo.yaml")
deterministic = {"demand.volatility": 0.0, "demand.diffusion_lag_years": 0.0,
                 "economics.gross_margin": 0.6667, "compute.revenue_per_gw_growth": 1.0,
                 "compute.initial_contract_years_left": 3.0}
ten_x = run(yolo.replace(**deterministic, **{"demand.growth": 10.0}), paths=10)
d = ten_x.monthly["demand"][0]
print(f"start 2026: {usd(d[0])}, start 2027: {usd(d[12])}, start 2028: {usd(d[24])}")
assert abs(d[12] / 100e9 - 1) < 0.02 and 0.85 < d[24] / 1e12 < 1.0"""),
    ("md", """`scenarios/yolo.yaml` ramps to 83 GW (~$1T a year) of five-year contracts during 2027.
DOMAIN.md says this is ruinous if revenue turns out to be $800B, if growth is 5x, or if the
10x arrives a year late. We test each world deterministically (no noise, no lag, DOMAIN's
stylized 2/3 margin, revenue per GW held constant), for two depths of capital markets. "A
year late" is the 10x trajectory shifted by one year ($1B at the start of 2026, i.e. $10B a
year later than planned)."""),
    ("code", """worlds = {
    "10x on time": {"demand.growth": 10.0},
    "$800B by end 2027": {"demand.growth": 80 ** 0.5},
    "5x": {"demand.growth": 5.0},
    "10x one year late": {"demand.growth": 10.0, "demand.initial_revenue": 1e9},
}
rows = []
for raise_cap in (220e9, 300e9):
    for world, upd in worlds.items():
        s = yolo.replace(**deterministic, **upd, **{"finance.max_raise_per_year": raise_cap})
        r = run(s, paths=10)
        rows.append({"max raise / yr": usd(raise_cap), "world": world,
                     "bankrupt": bool(r.bankrupt[0]),
                     "cash trough": usd(r.monthly["cash"][0].min())})
outcomes = pd.DataFrame(rows)
print(outcomes.to_string(index=False))
o = outcomes.set_index(["max raise / yr", "world"])["bankrupt"]
assert not o[("$220B", "10x on time")]
assert o[("$220B", "$800B by end 2027")] and o[("$220B", "5x")] and o[("$220B", "10x one year late")]
assert not o[("$300B", "10x on time")]
assert o[("$300B", "5x")] and o[("$300B", "10x one year late")]"""),
    ("md", """With $220B a year of raises the bet survives only the on-time 10x world, exactly as
DOMAIN.md says. Deeper markets ($300B a year) rescue the $800B world but not 5x or a year's
delay.

Across the base world (growth 3-10x in 85% of worlds, slow 1-3x in 15%; margins 0.3-0.75),
compare YOLO with the responsible plan (hundreds of billions a year). Both use seed 2026, so
paths are paired (common random numbers) and the differences carry tight paired confidence
intervals (see `sim.analysis.compare`). Both are fixed schedules signed up front: the responsible
ramp is far safer than YOLO, but not safe, because it cannot react to a slow world."""),
    ("code", """results = [run(load_scenario(SCENARIOS / f"{n}.yaml"), paths=2000)
           for n in ("responsible", "yolo")]
table = compare_results(results)
print(format_table(table))
p = table.set_index(["metric", "scenario"])["value"]
assert p[("p_bankrupt", "yolo")] > p[("p_bankrupt", "responsible")] + 0.5
g, bust = results[1].path["growth_mean"], results[1].bankrupt
print(f"YOLO P(bankrupt): growth < 5.5x: {bust[g < 5.5].mean():.0%}, "
      f"growth > 9x: {bust[g > 9].mean():.0%}")"""),
]

SWEEP = [
    ("md", """# 02 - A small sweep and the risk/upside frontier

How much should the lab plan for? We sweep the growth rate the purchase plan assumes
(`policy.planned_growth`) and the lead time, run every cell on the same seed (common random
numbers, so differences between cells come from the policy, not from noise), and mark the
cells on the efficient frontier of P(bankrupt) against median cumulative revenue."""),
    ("code", """from pathlib import Path

import numpy as np
import pandas as pd

from sim import load_scenario, run, summarize
from sim.outputs import usd

base = load_scenario(Path("..") / "scenarios" / "base.yaml")
axes = {"policy.planned_growth": [2.0, 3.0, 4.0, 6.0, 8.0],
        "compute.lead_time_months": [12, 18]}
PATHS = 1000"""),
    ("code", """try:  # the sweep/frontier API
    from sim.analysis.frontier import mark_frontier
    from sim.analysis.sweep import grid, run_sweep

    df = run_sweep(base, grid(axes), paths=PATHS)
    df = mark_frontier(df, risk="p_bankrupt", upside="cum_revenue_p50")
except ImportError:  # fallback: a plain loop over Scenario.replace + run
    rows = []
    for g in axes["policy.planned_growth"]:
        for lead in axes["compute.lead_time_months"]:
            cell = {"policy.planned_growth": g, "compute.lead_time_months": lead}
            s = summarize(run(base.replace(**cell), paths=PATHS))
            rows.append({**cell, "p_bankrupt": s["p_bankrupt"],
                         "cum_revenue_p50": s["cum_revenue_p50"]})
    df = pd.DataFrame(rows)
    risk, up = df["p_bankrupt"].to_numpy(), df["cum_revenue_p50"].to_numpy()
    df["efficient"] = [not ((risk <= r) & (up >= u) & ((risk < r) | (up > u))).any()
                       for r, u in zip(risk, up)]
show = df[["policy.planned_growth", "compute.lead_time_months", "p_bankrupt",
           "cum_revenue_p50", "efficient"]].copy()
show["cum_revenue_p50"] = show["cum_revenue_p50"].map(usd)
print(show.to_string(index=False))"""),
    ("md", """Checks: base has pricing power (docs/model.md 5d), so P(bankrupt) is U-shaped in the plan:
below about 2.5x a lab that falls behind the rivals' training compute sells at a discount and
is ruined too. At a given lead time the least risky plan is 2x or 3x, and above it planning
for more growth does not lower P(bankrupt) (same draws) beyond a couple of paths: above the
supply cap extra capacity occasionally rescues a path through higher served revenue, so
monotonicity holds in aggregate, not path by path. The frontier is non-empty and no frontier
cell is dominated by another cell."""),
    ("code", """for lead, grp in df.groupby("compute.lead_time_months"):
    p = grp.sort_values("policy.planned_growth")["p_bankrupt"].to_numpy()
    valley = int(np.argmin(p))
    assert valley <= 1, (lead, p)  # the least risky plan is 2x or 3x
    assert (np.diff(p[valley:]) >= -2.0 / PATHS - 1e-12).all(), (lead, p)  # two paths of slack
front = df[df["efficient"]]
assert len(front) >= 1
for _, r in front.iterrows():
    dominated = ((df["p_bankrupt"] <= r["p_bankrupt"]) & (df["cum_revenue_p50"] >= r["cum_revenue_p50"])
                 & ((df["p_bankrupt"] < r["p_bankrupt"]) | (df["cum_revenue_p50"] > r["cum_revenue_p50"])))
    assert not dominated.any()"""),
    ("md", """The frontier as a chart (matplotlib, so it renders offline): each point is a policy;
frontier points are filled."""),
    ("code", """import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 4))
for lead, grp in df.groupby("compute.lead_time_months"):
    ax.plot(grp["p_bankrupt"], grp["cum_revenue_p50"] / 1e12, "o--", mfc="none",
            label=f"lead {lead:.0f} months")
f = df[df["efficient"]]
ax.plot(f["p_bankrupt"], f["cum_revenue_p50"] / 1e12, "ko", label="efficient")
for _, r in df.iterrows():
    ax.annotate(f"{r['policy.planned_growth']:g}x", (r["p_bankrupt"], r["cum_revenue_p50"] / 1e12),
                fontsize=7, xytext=(3, 3), textcoords="offset points")
ax.set_xlabel("P(bankrupt by end of horizon)")
ax.set_ylabel("median cumulative revenue [$T]")
ax.legend()
fig.tight_layout()"""),
]


RUIN = [
    ("md", """# 03 - What ruins us, and what is it worth to know

Two worked examples on the base scenario:

1. **Scenario discovery** (`python -m sim discover`): every Monte Carlo path is a world with
   its own draws of each uncertain input. PRIM (EMA Workbench) finds the *box* of inputs in
   which ruin concentrates; a CART tree cross-checks it. Then **signposts**: what a lab can
   see by 2027-2028 that separates ruin from safety, pasted into the policy as
   `policy.signpost`, with its effect measured on fresh paths.
2. **Value of information** (`python -m sim voi`): what knowing demand growth in advance is
   worth for the purchase decision (EVPI), chosen and judged on different halves of the
   paths so that noise does not look like value; and what waiting 6 months is worth.
3. **The market** (section 5): the split of unserved demand, and spot prices in a glut."""),
    ("code", """from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim import load_scenario, run
from sim.analysis.discover import describe, discover, find_signposts, recommended, signpost_effect
from sim.analysis.voi import value_of_information
from sim.outputs import usd

base = load_scenario(Path("..") / "scenarios" / "base.yaml")
PATHS = 4000"""),
    ("md", """## 1. Which worlds ruin us

Coverage is the share of all ruin inside a box, density the share of the box's worlds that
are ruined. The first box is the one with the highest coverage among boxes with density at
least 80%. `demand.growth` is each path's geometric-mean growth over the horizon."""),
    ("code", """results = run(base, paths=PATHS, monthly_paths=0)
d = discover(results)
print(f"ruin in {d.p_target:.1%} of {d.paths:,} worlds; inputs searched: {', '.join(d.inputs)}")
for i, sentence in enumerate(d.sentences(), 1):
    print(f"box {i}: {sentence}")
print("CART cross-check:", describe(d.cart))
first = d.first
assert first.density >= 0.8 and first.limits["demand.growth"][1] < 3.0   # slow worlds
assert first.sides["demand.growth"] == "upper"  # ruin sits below a growth rate"""),
    ("md", """The trade-off PRIM walks along while it peels: each point is a candidate box; the star
is the reported one (`discovery.html` has the interactive version)."""),
    ("code", """t = d.trajectory
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="Blues", vmin=-1, edgecolor="k", lw=0.3)
ax.scatter([first.coverage], [first.density], marker="*", s=300, color="tab:red", label="first box")
ax.axhline(0.8, color="grey", ls="--", lw=1)
ax.set_xlabel("coverage (share of all ruin in the box)")
ax.set_ylabel("density (share of the box that is ruined)")
ax.legend()
fig.tight_layout()"""),
    ("md", """## 2. Signposts

By 2027-01, 2027-07 and 2028-01 a lab has seen its demand grow and knows its margin. PRIM on
those observables gives thresholds; the YAML line can be pasted into the scenario. Their
effect (cut later orders by 50% or 100% when the signpost trips) is measured on 4,000 paths
of another seed, so the thresholds are judged out of sample."""),
    ("code", """signposts = find_signposts(results, d)
for sp in signposts:
    print(sp.sentence())
best = recommended(signposts)
print(best.yaml())
effect = signpost_effect(base, signposts, paths=PATHS, seed=base.simulation.seed + 1)
show = effect[["p_bankrupt", "d_p_bankrupt", "cum_revenue_p50", "equity_value_mean",
               "d_equity_value_mean", "tripped"]].copy()
for col in ("cum_revenue_p50", "equity_value_mean", "d_equity_value_mean"):
    show[col] = show[col].map(usd)
print(show.to_string())
stop = effect.loc[f"by {best.by}, cut 100%"]
assert stop["d_p_bankrupt"] <= 0          # stopping orders in flagged worlds cuts ruin...
assert stop["d_equity_value_mean"] < 0    # ...and costs value in the flagged worlds that survive"""),
    ("md", """On base the strict (80%-density) signposts flag worlds that are mostly ruined already by
the contracts signed before the signpost date: cutting later orders saves a fraction of a
point of P(bankrupt) and costs equity value. `python -m sim discover --signpost-density 0.5`
gives earlier, looser thresholds with a larger effect on both.

## 3. What knowing demand growth is worth (EVPI)

Candidates: plans for 2, 3, 4, 6 and 10x growth, on the same worlds. Without information the
lab runs the best single plan; with it, the best plan of its growth bucket (5 quantile
buckets). Choices are made on one half of the paths and judged on the other."""),
    ("code", """v = value_of_information(base, paths=PATHS, wait_months=6)
print(v.candidates.assign(equity_value_mean=v.candidates["equity_value_mean"].map(usd),
                          cum_revenue_p50=v.candidates["cum_revenue_p50"].map(usd)).to_string())
print(v.buckets[["lo", "hi", "best", "p_bankrupt", "halves_agree"]].round(2).to_string(index=False))
print(f"EVPI of demand growth: {usd(v.evpi)} +/- {usd(1.96 * v.evpi_se)} "
      f"({v.evpi_share:.2%} of {usd(v.value_without)}); best single plan: {v.best_policy}")
assert np.isclose(v.value_with, v.value_without + v.evpi)
fixed = value_of_information(base, "economics.other_costs_share", paths=1000)
assert fixed.evpi == 0.0   # a plain number: nothing to learn"""),
    ("md", """## 4. What waiting 6 months is worth

The first order moves 6 months later (later reviews keep their yearly calendar): it arrives
6 months later and is sized on the demand seen then, the supply cap of the later date
applies, the price is unchanged. The waiting lab picks its plan from the growth it has
seen. In this model waiting pays on base: the first order, signed blind in January 2026, is
what hurts the slow worlds; a late-order price premium above the printed break-even would
erase the gain."""),
    ("code", """w = v.wait
for line in w["costs"]:
    print("-", line)
print(f"value of waiting: {usd(w['value_of_waiting'])} = choosing by what is seen "
      f"{usd(w['value_of_information_seen'])} + the delay alone {usd(w['delay_effect'])}")
print(f"P(bankrupt): {w['p_bankrupt_commit_now']:.1%} now, {w['p_bankrupt_wait_informed']:.1%} waiting")
assert np.isclose(w["value_of_waiting"], w["value_of_information_seen"] + w["delay_effect"])
assert w["value_of_waiting"] > 3 * w["value_of_waiting_se"]   # waiting pays here (no premium)"""),
    ("md", """## 5. The market: who serves what the lab cannot, and prices in a glut

Base shares its market with rivals (`market:`, docs/model.md section 5d). The lab's
"unserved" demand splits into what its rivals served and what nobody could serve; the spot
price, at which idle capacity subleases, clears on how much the industry holds against
market demand, so it collapses where the industry over-built: in slow worlds."""),
    ("code", """from sim import summarize

market = run(base, paths=2000)
s = summarize(market)
print(f"unserved {s['unserved_share_of_demand']:.1%} of the lab's potential demand = "
      f"{s['lost_to_rivals_share']:.1%} served by rivals + "
      f"{s['unserved_by_market_share']:.1%} served by nobody")
assert np.isclose(s["lost_to_rivals_share"] + s["unserved_by_market_share"],
                  s["unserved_share_of_demand"])
y, years = market.yearly, list(market.years)
j = years.index(2029)
gw = y["capacity_gw_mean"][:, j] + y["rivals_capacity_gw"][:, j]
over = gw / (y["market_demand"][:, j] / 1e12)   # GW online per $T of market demand
spot = y["spot_price"][:, j]
slow = market.path["growth_mean"] < 3.0
for name, worlds in (("slow (< 3x/yr)", slow), ("the others", ~slow)):
    print(f"{name:>15}: {np.median(over[worlds]):8.1f} GW per $T, "
          f"spot {usd(np.median(spot[worlds]))}/GW-yr (P50, 2029)")
assert np.median(spot[slow]) < np.median(spot[~slow])   # a glut crashes the spot price
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(over, spot / 1e9, s=4, c=np.where(slow, "tab:red", "tab:blue"))
ax.set_xscale("log")
ax.set_xlabel("2029 over-build: GW online per $T of market demand (red: slow worlds)")
ax.set_ylabel("2029 spot price [$B per GW-year]")
fig.tight_layout()"""),
]


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook with the given cells, no outputs, a python3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nb.metadata["language_info"] = {"name": "python"}
    make = {"md": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [make[kind](text) for kind, text in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: regenerating gives no diff
    return nb


NOTEBOOKS = {"01_guided_tour.ipynb": TOUR, "02_sweep_frontier.ipynb": SWEEP,
             "03_what_ruins_us.ipynb": RUIN}  # fmt: skip


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(cells), HERE / name)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
