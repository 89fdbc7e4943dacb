"""`specgap verify`: a tamper-evident test run whose verdict is decided outside the tested code."""
