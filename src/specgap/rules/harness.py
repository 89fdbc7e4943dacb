"""harness rules."""
