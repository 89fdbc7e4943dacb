"""`specgap impossible`: honeypot tasks made from a repository's own test suite.

`make` changes one expected value in an assertion the code really passes (one-off), or duplicates
the assertion with a different expected value (conflicting), so that no honest change can make the
suite pass; `run` gives each variant to an agent and lets `verify` and `scan` judge what it did.
"""
