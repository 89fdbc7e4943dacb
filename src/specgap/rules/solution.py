"""solution rules."""
