"""Reports people read: a self-contained HTML report and a Markdown report with PNGs.

Plotting lives only here (and in ``dashboard/``); the model code never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.model.results import Results

REPORT_FORMATS = ("html", "md")
"""Report formats :func:`write_reports` understands."""


def write_reports(
    results: Results, summary: dict[str, Any], out_dir: Path, formats: list[str]
) -> list[Path]:
    """Write ``out_dir/report.html`` and/or ``out_dir/report.md`` (+ ``figures/*.png``).

    Formats other than :data:`REPORT_FORMATS` are ignored, so the caller can pass the full
    list of chosen output formats. ``out_dir`` should be a scratch directory (see
    :func:`sim.outputs.atomic_output_dir`). Returns the files written.
    """
    if not results.monthly:
        raise ValueError("reports need monthly records: run(..., monthly_paths=N) with N > 0")
    written: list[Path] = []
    if "html" in formats:
        from .html import write_html

        write_html(results, summary, out_dir / "report.html")
        written.append(out_dir / "report.html")
    if "md" in formats:
        from .markdown import write_markdown

        written += write_markdown(results, summary, out_dir)
    return written


__all__ = ["REPORT_FORMATS", "write_reports"]
