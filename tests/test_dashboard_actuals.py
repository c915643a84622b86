"""The dashboard's Actuals card: pasted CSV conditions the runs, bad text is refused naming
the line, the saved YAML carries the actuals, removing them gives the prior back."""

from __future__ import annotations

import numpy as np

from dashboard import charts
from dashboard.actuals import (
    MAX_URL_CHARS,
    NO_ACTUALS,
    ActualsCard,
    actuals_csv,
    prior_results,
    text_from_url,
    url_text,
)
from dashboard.explorer import Explorer
from sim.model.io import parse_yaml, scenario_from_dict
from sim.reports.charts import LOG_FLOOR
from sim.reports.frames import chart_frames

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


GW_CSV = (
    "month,revenue_run_rate,gw_online\n2026-01,10.0e9,1.9\n2026-02,11.1e9,\n2026-03,12.0e9,1.9\n"
)


def _scatter_points(fig) -> int:
    """Points drawn by the figure's circle glyphs (the actuals' dots)."""
    return sum(len(r.data_source.data.get("value", [])) for r in fig.renderers
               if type(getattr(r, "glyph", None)).__name__ == "Scatter")  # fmt: skip


def test_fan_charts_show_prior_posterior_and_actuals_in_place() -> None:
    x = Explorer(paths=300)
    card = ActualsCard(x)
    ts = charts.time_series_charts()
    plain = charts.series_data(x.results)
    assert plain["actuals"] is NO_ACTUALS  # no actuals: nothing extra to draw
    for chart in ts.values():
        chart.send(plain)
    figs = {n: c.pane.get_root() and c.fig for n, c in ts.items()}
    assert _scatter_points(figs["money"]) == 0
    assert card.set_text(GW_CSV)
    data = charts.series_data(x.results)
    money, cap = data["actuals"]["money"], data["actuals"]["capacity"]
    # the dots are the actuals: every revenue point, GW only where given
    assert money["dots"]["value"].tolist() == [10.0e9, 11.1e9, 12.0e9]
    assert cap["dots"]["value"].tolist() == [1.9, 1.9]
    assert cap["dots"]["month"].dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-03"]
    # the prior is the unweighted run of the same scenario (what `sim update` reports)
    prior = prior_results(x.results)
    assert prior.conditioning is None
    assert prior.paths == x.results.paths
    floor = LOG_FLOOR["revenue"]  # a bankrupt path serves 0: drawn at the log axis' floor
    want = chart_frames(prior)["revenue"]["p50"].clip(lower=floor).fillna(floor).to_numpy()
    assert np.array_equal(money["prior"]["p50"].to_numpy(), want)
    # the posterior (the fans) differs from the prior after as_of: the weights moved it
    post = data["fans"]["money"].query("series == 'Revenue'")["p50"].to_numpy()
    assert post.shape == want.shape
    assert not np.allclose(post, want)
    for chart in ts.values():
        chart.send(data)
    assert {n: c.fig for n, c in ts.items()} == figs  # updated in place, no new figure
    assert _scatter_points(ts["money"].fig) == 3
    assert _scatter_points(ts["capacity"].fig) == 2
    assert card.set_text("")
    for chart in ts.values():
        chart.send(charts.series_data(x.results))
    assert _scatter_points(ts["money"].fig) == 0  # removed: the dots go too


def test_uploaded_csv_conditions_and_bad_upload_names_line_and_field() -> None:
    x = Explorer(paths=300)
    card = ActualsCard(x)
    before = x.results
    card.file.filename = "lab.csv"
    card.file.value = b"month,revenue_run_rate\n2026-01,10e9\n2026-02,nan\n"
    assert "Not applied (lab.csv)" in card.status.object
    assert "line 3 revenue_run_rate" in card.status.object
    assert "Traceback" not in card.status.object
    assert x.results is before
    card.file.value = b"month,revenue_run_rate\n2026-01,\xff\xfe\n"
    assert "not UTF-8" in card.status.object
    card.file.value = b"month,revenue_run_rate\n" + b"2026-01,1e10\n" * 90_000  # > 1 MiB
    assert "1,048,576 bytes" in card.status.object
    assert x.results is before
    card.file.value = CSV.encode()
    assert x.results.conditioning["as_of"] == "2026-03"
    assert card.text.value == actuals_csv(x.results.scenario)  # the box shows what applies


def test_actuals_round_trip_through_the_url() -> None:
    assert text_from_url(url_text(GW_CSV)) == GW_CSV
    assert url_text("") == ""
    x = Explorer(paths=300)
    card = ActualsCard(x)
    assert card.url == ""  # no actuals: nothing in the URL
    assert card.set_text(GW_CSV)
    encoded = card.url
    assert encoded
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(encoded) < len(GW_CSV) * 2
    # a new page opened on that URL: the same actuals condition its run
    y = Explorer(paths=300)
    other = ActualsCard(y)
    other.url = encoded
    assert y.results.conditioning["as_of"] == "2026-03"
    assert actuals_csv(y.results.scenario) == actuals_csv(x.results.scenario)
    # a damaged or hostile URL is refused in the card, the run untouched
    before = y.results
    other.url = "not!base64"
    assert "Not applied (actuals in the URL)" in other.status.object
    bomb = url_text("month,revenue_run_rate\n" + "2026-01,1e10\n" * 85_000)
    assert len(bomb) <= MAX_URL_CHARS  # compresses well, inflates past the limit
    other.url = bomb
    assert "1,048,576 bytes" in other.status.object
    assert y.results is before
    other.url = ""  # back to a URL without actuals: the prior
    assert y.results.conditioning is None
