import os

# The CLI validates with pydantic but uses no pydantic plugins; skipping their discovery
# (a scan of every installed package's entry points) saves ~10 ms on every command.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from .cli import main

raise SystemExit(main())
