"""specgap: catch AI agents gaming the measure instead of doing the work."""

__version__ = "0.1.0"
