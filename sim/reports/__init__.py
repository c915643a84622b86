"""Reports people read: a self-contained HTML report and a Markdown report with PNGs.

Plotting lives only here (and in ``dashboard/``); the model code never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.model.results import Results

from .pending import answer, failure

REPORT_FORMATS = ("html", "md")
"""Report formats :func:`write_reports` understands."""


class ReportJob:
    """Reports written in two steps, so the caller can do other work in between: creating
    the job computes the chart frames once, starts the decision (the plan search) and the
    Markdown report's PNGs; :meth:`finish` writes the HTML report (here, or in
    ``html_worker``) and collects the rest. The decision is the last thing each report needs:
    the HTML charts and the PNGs are drawn while it is searched.

    ``decision``: the decision as computed elsewhere, e.g. :func:`start_decision` right
    after the simulation; by default it is computed here when first needed. ``worker`` and
    ``html_worker``: :class:`ReportWorker` processes forked before the simulation for the
    Markdown and the HTML report (their imports then overlap the simulation).
    """

    def __init__(
        self,
        results: Results,
        summary: dict[str, Any],
        out_dir: Path,
        formats: list[str],
        worker: ReportWorker | None = None,
        decision: Any = None,
        html_worker: ReportWorker | None = None,
    ) -> None:
        if not results.monthly:
            raise ValueError("reports need monthly records: run(..., monthly_paths=N) with N > 0")
        from .decision import executive_summary, report_decision
        from .frames import chart_frames
        from .pending import Later, pending

        self.results, self.summary, self.out_dir = results, summary, out_dir
        self.html = "html" in formats
        self.frames = chart_frames(results)  # computed once, drawn by both reports
        self.frames["executive_summary"] = pd.DataFrame(
            {"line": executive_summary(results, summary)}
        )
        # the verdict both reports open with
        self.decision = (
            Later(lambda: report_decision(results)) if decision is None else pending(decision)
        )
        self.frames["decision"] = self.decision
        self.side = None  # the Markdown report drawn in a child forked now, if any
        self.workers: list[ReportWorker] = []  # the report workers forked earlier
        self.written: list[Path] = []
        view = report_view(results)
        if self.html and html_worker is not None:  # forked earlier, Bokeh already imported
            self._hand(html_worker, view)
        if "md" in formats:
            if worker is not None:  # forked earlier, matplotlib already imported
                self._hand(worker, view)
            elif self.html:  # two reports: draw the PNGs on the other core meanwhile
                self.frames["decision"] = self.decision.get()
                self.side = _in_child(_markdown_task, view, summary, out_dir, self.frames)
            else:
                self.written += _markdown_task(view, summary, out_dir, self.frames)
        self.html_here = self.html and html_worker is None

    def _hand(self, worker: ReportWorker, view: Results) -> None:
        """Give a forked worker the report's data now and the decision once it is known."""
        worker.submit(view, self.summary, self.out_dir, _without_decision(self.frames))
        self.decision.then(worker.send_decision)
        self.workers.append(worker)

    def finish(self) -> list[Path]:
        """Write the HTML report (here, unless a worker does) and collect the other reports;
        the files written."""
        if self.html_here:
            self.written += _html_task(self.results, self.summary, self.out_dir, self.frames)
        if self.workers:
            self.decision.get()  # sends it to the workers, if no page asked for it yet
        for worker in self.workers:
            self.written += worker.result()
        if self.side is not None:
            self.written += _join(self.side)
        self.side, self.workers = None, []
        return self.written

    def cancel(self) -> None:
        """Stop the decision's process, if any (after a failure)."""
        self.decision.cancel()


def start_decision(results: Results) -> Any:
    """The report decision (:func:`sim.reports.decision.report_decision`) searched in a
    forked process from now on (it needs only the run); a :class:`sim.reports.pending.Pending`
    to pass to :class:`ReportJob`."""
    from .decision import report_decision
    from .pending import Forked

    return Forked(report_decision, results)


def _without_decision(frames: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in frames.items() if k != "decision"}


REPORT_MONTHLY = ("revenue", "capacity_gw")
"""Monthly series the reports read themselves (the backtest, the fan charts' path count);
their charts come from the chart frames computed once in the parent."""


def report_view(results: Results) -> Results:
    """``results`` with only what the reports read besides the chart frames, so handing it
    to a report worker pickles ~2 MB instead of ~80 MB (per-path arrays and most monthly
    series stay here)."""
    import dataclasses

    return dataclasses.replace(
        results, yearly={}, path={}, params={}, draws={}, commitments={}, runoff_yearly={},
        truncation={}, runoff_monthly={},
        monthly={k: results.monthly[k] for k in REPORT_MONTHLY if k in results.monthly},
    )  # fmt: skip


def write_reports(
    results: Results, summary: dict[str, Any], out_dir: Path, formats: list[str]
) -> list[Path]:
    """Write ``out_dir/report.html`` and/or ``out_dir/report.md`` (+ ``figures/*.png``).

    Formats other than :data:`REPORT_FORMATS` are ignored, so the caller can pass the full
    list of chosen output formats. ``out_dir`` should be a scratch directory (see
    :func:`sim.outputs.atomic_output_dir`). Returns the files written.
    """
    if not set(formats) & set(REPORT_FORMATS):
        return []
    return ReportJob(results, summary, out_dir, formats).finish()


def _markdown_task(
    results: Results, summary: dict[str, Any], out_dir: Path, frames: Any
) -> list[Path]:
    from .markdown import write_markdown

    return write_markdown(results, summary, out_dir, frames)


def _html_task(results: Results, summary: dict[str, Any], out_dir: Path, frames: Any) -> list[Path]:
    from .html import write_html

    write_html(results, summary, out_dir / "report.html", frames)
    return [out_dir / "report.html"]


def _in_child(task: Any, *args: Any) -> Any:
    """Run ``task(*args)`` in a forked process (the Markdown PNGs draw while the parent
    builds the HTML: two cores, about half the wall time); None where fork is unavailable,
    after running the task here."""
    import multiprocessing
    import os

    if not hasattr(os, "fork"):
        return ("done", task(*args))
    ctx = multiprocessing.get_context("fork")
    queue = ctx.SimpleQueue()

    def target() -> None:
        try:
            queue.put(("ok", [str(p) for p in task(*args)]))
        except BaseException as exc:  # report any failure to the parent
            queue.put(failure(exc))

    proc = ctx.Process(target=target, daemon=True)
    proc.start()
    return (proc, queue)


class ReportWorker:
    """A process forked early (before the simulation starts its threads) that imports its
    plotting library meanwhile (matplotlib for ``fmt`` "md", Bokeh for "html") and then waits
    for the report's data: the import and the drawing leave the critical path. Unix only
    (fork); :meth:`available` says."""

    def __init__(self, fmt: str = "md") -> None:
        import multiprocessing

        if fmt not in REPORT_FORMATS:
            raise ValueError(f"report format {fmt!r}: one of {', '.join(REPORT_FORMATS)}")
        ctx = multiprocessing.get_context("fork")
        self.inbox, self.outbox = ctx.SimpleQueue(), ctx.SimpleQueue()
        self.proc = ctx.Process(target=_worker_main, args=(fmt, self.inbox, self.outbox),
                                daemon=True)  # fmt: skip
        self.proc.start()

    @staticmethod
    def available() -> bool:
        import os

        return hasattr(os, "fork")

    def submit(self, *args: Any) -> None:
        """The report's data; the decision follows with :meth:`send_decision`."""
        self.inbox.put(args)

    def send_decision(self, decision: Any) -> None:
        self.inbox.put(decision)

    def result(self) -> list[Path]:
        return _join((self.proc, self.outbox))

    def cancel(self) -> None:
        """Stop the worker if it is still waiting or drawing (nothing it wrote is kept)."""
        if self.proc.is_alive():
            self.proc.kill()  # not SIGTERM: the CLI turns that into KeyboardInterrupt, which
            # a fork may swallow inside an import and then wait for work forever
        self.proc.join()


MarkdownWorker = ReportWorker
"""The worker's earlier name (it drew only the Markdown report)."""


def _worker_main(fmt: str, inbox: Any, outbox: Any) -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is not for us
    try:
        if fmt == "md":  # the slow imports, while the parent simulates
            import matplotlib.figure  # noqa: F401

            from . import markdown  # noqa: F401
        else:
            from . import html  # noqa: F401  (Bokeh)
        from .pending import Inbox

        results, summary, out_dir, frames = inbox.get()
        frames["decision"] = Inbox(inbox)  # the charts are drawn first, while it is searched
        task = _markdown_task if fmt == "md" else _html_task
        outbox.put(("ok", [str(p) for p in task(results, summary, out_dir, frames)]))
    except BaseException as exc:  # report any failure to the parent
        outbox.put(failure(exc))


def _join(side: Any) -> list[Path]:
    if side[0] == "done":
        return side[1]
    proc, queue = side
    proc.join()
    if queue.empty():
        raise RuntimeError(f"report process died (exit code {proc.exitcode})")
    return [Path(p) for p in answer(*queue.get(), "report")]


__all__ = ["REPORT_FORMATS", "MarkdownWorker", "ReportJob", "ReportWorker", "write_reports"]
