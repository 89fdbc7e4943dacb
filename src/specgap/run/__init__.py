"""Running transcripts at scale: a pure evaluation per rollout (evaluate.py), result sinks that
survive a killed run (sinks.py), a local process pool with resume (local.py), and the summary."""
