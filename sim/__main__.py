"""``python -m sim``: SIGTERM and Ctrl-C are handled from the first line, before the
command's (heavy) imports, so an interrupt never prints a traceback."""

import os
import signal
import sys

# The CLI validates with pydantic but uses no pydantic plugins; skipping their discovery
# (a scan of every installed package's entry points) saves ~10 ms on every command.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

_signalled = False


def _on_signal(signum, frame):  # type: ignore[no-untyped-def]
    global _signalled
    _signalled = True
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
try:
    from .cli import exit_process, main, start_process

    start_process()
except Exception:
    if not _signalled:
        raise
    print("interrupted; no partial output was written", file=sys.stderr)
    raise SystemExit(130) from None
except KeyboardInterrupt:
    print("interrupted; no partial output was written", file=sys.stderr)
    raise SystemExit(130) from None

exit_process(main())
