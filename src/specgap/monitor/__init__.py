"""`specgap monitor`: does a proxy metric still track the goal it stands for?

Reads metric logs (CSV, JSONL, Parquet), runs the statistical checks the given columns allow
(SG8xx in the rule catalog), corrects for multiple testing across checks and groups, and reports
findings with their statistics, an audit queue of examples to review, and an HTML report.
"""
