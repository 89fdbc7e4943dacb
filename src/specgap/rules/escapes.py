"""escapes rules."""
