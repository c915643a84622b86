"""Browser tests: a package, so its package-scoped fixtures (the dashboard server) end after
its last test rather than at the end of the session."""
