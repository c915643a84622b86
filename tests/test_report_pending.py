"""Report parts computed elsewhere (sim.reports.pending): the decision searched in a forked
process while the charts are drawn gives the same reports as the decision computed in line."""

from __future__ import annotations

import html
import os
import re
import time
from pathlib import Path

import pytest

from sim import load_scenario, run
from sim.model.summary import summarize
from sim.reports import ReportJob, ReportWorker, start_decision, write_reports
from sim.reports.pending import Forked, Known, Later, pending, resolve

fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _fail() -> None:
    raise ValueError("no plan today")


@fork_only
def test_forked_computes_in_another_process() -> None:
    part = Forked(os.getpid)
    assert part.get() != os.getpid()
    assert part.get() == part.get()  # computed once, kept


class _UnpicklableError(Exception):
    def __init__(self) -> None:
        super().__init__("a lock inside")
        self.lock = __import__("threading").Lock()


def _fail_unpicklably() -> None:
    raise _UnpicklableError


@fork_only
def test_forked_error_is_raised_again_in_the_parent() -> None:
    """The child's exception itself (its type, its message), as a report worker's; one
    that cannot cross the pipe arrives as a RuntimeError naming it."""
    with pytest.raises(ValueError, match=r"^no plan today$"):
        Forked(_fail).get()
    with pytest.raises(RuntimeError, match="report part failed: _UnpicklableError: a lock inside"):
        Forked(_fail_unpicklably).get()


def test_a_childs_answer_reads_back_as_it_was_sent() -> None:
    """What a report child sends (:func:`failure`) and what the parent makes of it
    (:func:`answer`): the value, Ctrl-C as KeyboardInterrupt, the child's own exception, or
    a RuntimeError naming the child and an exception that could not be pickled."""
    from sim.reports.pending import answer, failure

    assert answer("ok", [1], "report") == [1]
    assert failure(KeyboardInterrupt()) == ("interrupted", None)
    with pytest.raises(KeyboardInterrupt):
        answer(*failure(KeyboardInterrupt()), "report")
    with pytest.raises(FileNotFoundError, match=r"^gone$"):
        answer(*failure(FileNotFoundError("gone")), "report")
    assert failure(_UnpicklableError())[0] == "error"
    with pytest.raises(RuntimeError, match=r"^report failed: _UnpicklableError: a lock inside$"):
        answer(*failure(_UnpicklableError()), "report")


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


def _without_ids(page: str) -> str:
    """report.html without what differs between two renderings of the same report: Bokeh's
    model ids and the simulation's elapsed time."""
    page = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", page)
    page = re.sub(r'"p\d+"', '"P"', page)
    return re.sub(r"Simulated in [0-9.]+ s", "Simulated", page)


@fork_only
def test_forked_decision_gives_the_same_reports(small_run, tmp_path: Path) -> None:
    """report.md byte for byte and report.html up to Bokeh's ids, through the CLI's path
    (both report workers forked first, the decision searched in another child) and through
    write_reports (all in line)."""
    res, summary = small_run
    inline, forked = tmp_path / "inline", tmp_path / "forked"
    inline.mkdir()
    forked.mkdir()
    write_reports(res, summary, inline, ["md", "html"])
    worker, html_worker = ReportWorker("md"), ReportWorker("html")
    decision = start_decision(res)
    try:
        job = ReportJob(res, summary, forked, ["html", "md"], worker, decision, html_worker)
        written = job.finish()
    finally:
        for side in (worker, html_worker, decision):
            side.cancel()
    assert (forked / "report.md").read_bytes() == (inline / "report.md").read_bytes()
    for png in (inline / "figures").iterdir():
        assert (forked / "figures" / png.name).read_bytes() == png.read_bytes()
    assert {p.name for p in written} >= {"report.md", "report.html"}
    page = (forked / "report.html").read_text()
    assert _without_ids(page) == _without_ids((inline / "report.html").read_text())
    assert page != _without_ids(page)  # the comparison did replace something
    verdict = resolve(decision).verdict
    assert verdict
    assert html.escape(verdict) in page


@fork_only
def test_report_worker_failure_is_reported(small_run, tmp_path: Path) -> None:
    """A report worker that fails raises its error in the parent, instead of hanging."""
    res, summary = small_run
    html_worker = ReportWorker("html")
    missing = tmp_path / "no such directory"
    try:
        job = ReportJob(res, summary, missing, ["html"], None, None, html_worker)
        with pytest.raises(FileNotFoundError, match="no such directory"):
            job.finish()
    finally:
        html_worker.cancel()


def test_report_worker_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="report format 'pdf'"):
        ReportWorker("pdf")
