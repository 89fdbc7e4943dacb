"""leaks rules."""
