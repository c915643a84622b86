"""The dashboard's Actuals card: pasted CSV conditions the runs, bad text is refused naming
the line, the saved YAML carries the actuals, removing them gives the prior back."""

from __future__ import annotations

from dashboard.actuals import ActualsCard, actuals_csv
from dashboard.explorer import Explorer
from sim.model.io import parse_yaml, scenario_from_dict

CSV = "month,revenue_run_rate\n2026-01,10.0e9\n2026-02,11.1e9\n2026-03,12.0e9\n"


def test_pasted_actuals_condition_the_run_and_are_saved() -> None:
    x = Explorer(paths=300)
    card = ActualsCard(x)
    prior = x.results
    assert prior.conditioning is None
    assert "prior" in card.status.object
    assert card.set_text(CSV)
    c = x.results.conditioning
    assert c is not None
    assert c["as_of"] == "2026-03"
    assert "effective sample size" in card.status.object
    assert x.numbers != {}  # the key numbers are the posterior's
    saved = scenario_from_dict(parse_yaml(x.scenario_yaml()))
    assert [p.month for p in saved.actuals.points] == ["2026-01", "2026-02", "2026-03"]
    assert actuals_csv(saved) == CSV.replace("10.0e9", "1e+10").replace("11.1e9", "1.11e+10") \
        .replace("12.0e9", "1.2e+10")  # fmt: skip
    assert card.set_text("")
    assert x.results.conditioning is None


def test_bad_paste_is_refused_naming_the_line() -> None:
    x = Explorer(paths=300)
    card = ActualsCard(x)
    before = x.results
    assert not card.set_text("month,revenue_run_rate\n2026-01,-3\n")
    assert "Not applied" in card.status.object
    assert "line 2 revenue_run_rate" in card.status.object
    assert x.results is before
