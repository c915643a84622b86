"""``python -m sim dashboard``: the interactive Panel app; ``bench-dashboard``: its speed.

Panel is imported lazily (only these commands need it); the scenario file is validated
before the server starts, so a bad file exits with code 2 and no server.
"""

from __future__ import annotations

import argparse
import sys
import time

from .common import add_scenario_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dashboard",
        help="open the interactive dashboard in a browser",
        description="Serve the Panel dashboard for SCENARIO (default: embedded base) on "
        "http://HOST:PORT/ (bound to 127.0.0.1 unless --host says otherwise).",
    )
    p.add_argument("scenario", nargs="?", help="scenario YAML file (default: embedded base)")
    p.add_argument("--port", type=int, default=5006, help="port (default 5006; 0 = any free)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--no-show", action="store_true", help="do not open a browser tab")
    p.set_defaults(func=main)

    b = sub.add_parser(
        "bench-dashboard",
        help="time the dashboard's update after a widget change",
        description="Time one dashboard update after a slider change: server side (validate "
        "settings, simulate, key numbers, update every chart in place) and, when Chromium "
        "and Playwright are installed, in the browser (first useful paint, redraw of every "
        "visible chart after a key press, median and p95).",
    )
    add_scenario_args(b)
    b.add_argument("--repeat", type=int, default=10, help="timed widget changes (default 10)")
    b.add_argument("--browser", dest="browser", action="store_true", default=None,
                   help="also measure in headless Chromium (default: when installed)")  # fmt: skip
    b.add_argument("--no-browser", dest="browser", action="store_false",
                   help="server-side figures only")  # fmt: skip
    b.set_defaults(func=bench)


def main(args: argparse.Namespace) -> int:
    from . import UsageError

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: must be in 0-65535, got {args.port}")
    from sim.model.io import load_scenario

    scenario = load_scenario(args.scenario)  # ScenarioError -> exit 2 before serving
    from dashboard.server import PortInUseError, check_port, serve

    try:
        check_port(args.host, args.port)
    except PortInUseError as exc:
        print(f"error: {exc.strerror}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)  # fmt: skip
        return 2
    print(f"dashboard for scenario {scenario.name!r} on http://{args.host}:{args.port}/ "
          "(Ctrl-C to stop)")  # fmt: skip
    try:
        serve(scenario, port=args.port, host=args.host, show=not args.no_show)
    except OSError as exc:  # lost a race for the port after the check
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)  # fmt: skip
        return 2
    return 0


def bench(args: argparse.Namespace) -> int:
    from dashboard.bench import bench_browser, bench_dashboard, browser_available

    from .common import scenario_from_args

    scenario = scenario_from_args(args)
    t0 = time.perf_counter()
    for line in bench_dashboard(scenario, repeat=args.repeat, paths=args.paths or 2000):
        print(line, flush=True)
    browser = browser_available() if args.browser is None else args.browser
    if browser and not browser_available():
        print("--browser: Chromium (/usr/bin/chromium) or Playwright is not installed",
              file=sys.stderr)  # fmt: skip
        return 2
    if browser:
        for line in bench_browser(scenario, repeat=args.repeat):
            print(line, flush=True)
    print(f"(bench took {time.perf_counter() - t0:.1f} s)")
    return 0
