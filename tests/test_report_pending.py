"""Report parts computed elsewhere (sim.reports.pending): the decision searched in a forked
process while the charts are drawn gives the same reports as the decision computed in line."""

from __future__ import annotations

import html
import os
import time
from pathlib import Path

import pytest

from sim import load_scenario, run
from sim.model.summary import summarize
from sim.reports import MarkdownWorker, ReportJob, start_decision, write_reports
from sim.reports.pending import Forked, Known, Later, pending, resolve

fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _fail() -> None:
    raise ValueError("no plan today")


@fork_only
def test_forked_computes_in_another_process() -> None:
    part = Forked(os.getpid)
    assert part.get() != os.getpid()
    assert part.get() == part.get()  # computed once, kept


@fork_only
def test_forked_error_names_the_failure() -> None:
    with pytest.raises(RuntimeError, match="ValueError: no plan today"):
        Forked(_fail).get()


@fork_only
def test_cancel_stops_the_child() -> None:
    part = Forked(time.sleep, 60)
    proc = part._proc
    t0 = time.perf_counter()
    part.cancel()
    assert not proc.is_alive()
    assert time.perf_counter() - t0 < 10


def test_listeners_hear_the_value_once() -> None:
    heard: list[int] = []
    part = Later(lambda: 42)
    part.then(heard.append)
    assert heard == []  # nothing computed before it is asked for
    assert resolve(part) == 42
    assert resolve(part) == 42
    part.then(heard.append)  # a late listener hears it at once
    assert heard == [42, 42]
    assert resolve(7) == 7
    known = pending(7)
    assert isinstance(known, Known)
    assert known.get() == 7
    assert pending(known) is known


@pytest.fixture(scope="module")
def small_run():
    res = run(load_scenario(), paths=300)
    return res, summarize(res)


@fork_only
def test_forked_decision_gives_the_same_reports(small_run, tmp_path: Path) -> None:
    """report.md byte for byte, through the CLI's path (Markdown worker forked first, the
    decision searched in another child) and through write_reports (all in line)."""
    res, summary = small_run
    inline, forked = tmp_path / "inline", tmp_path / "forked"
    inline.mkdir()
    forked.mkdir()
    write_reports(res, summary, inline, ["md"])
    worker = MarkdownWorker()
    decision = start_decision(res)
    try:
        written = ReportJob(res, summary, forked, ["html", "md"], worker, decision).finish()
    finally:
        worker.cancel()
        decision.cancel()
    assert (forked / "report.md").read_bytes() == (inline / "report.md").read_bytes()
    for png in (inline / "figures").iterdir():
        assert (forked / "figures" / png.name).read_bytes() == png.read_bytes()
    assert {p.name for p in written} >= {"report.md", "report.html"}
    verdict = resolve(decision).verdict
    assert verdict
    assert html.escape(verdict) in (forked / "report.html").read_text()
