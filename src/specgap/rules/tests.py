"""tests rules."""
