"""specgap where gaming happens: RL reward adapters, agent hooks, CI and pre-commit, Inspect.

`api` holds the per-sample calls (`specgap.scan_code`, `specgap.scan_rollout`); each adapter is a
module of its own that imports its framework only when used.
"""
