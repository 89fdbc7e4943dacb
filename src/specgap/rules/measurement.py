"""measurement rules."""
