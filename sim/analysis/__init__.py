"""Analyses built on the engine: sweeps, frontier, optimizer, sensitivity, flexibility,
comparisons, parallel helpers and benchmarks."""
