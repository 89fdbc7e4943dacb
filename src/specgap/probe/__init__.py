"""`specgap probe`: instruction-loophole probes against a model, checking the intent, not the letter.

A probe suite (YAML; a default one ships in `specgap/probe/suites/`) lists probes in five
categories: language, secret, rater, self-evaluation and reward. Each failed probe is a finding of
its category's check, with the transcript as its evidence; the checks' ids and pages (SG1001-SG1005,
`specgap rule SG1004`) are in `specgap.rules.catalog.propensity`.
"""
