"""The model: scenario file -> validated scenario -> sampled inputs -> engine -> results."""
