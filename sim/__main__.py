"""``python -m sim``: SIGTERM and Ctrl-C are handled from the first line, before the
command's (heavy) imports, so an interrupt never prints a traceback."""

import signal
import sys


def _terminate(signum, frame):  # type: ignore[no-untyped-def]
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _terminate)
try:
    from .cli import main
except KeyboardInterrupt:
    print("interrupted; no partial output was written", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
