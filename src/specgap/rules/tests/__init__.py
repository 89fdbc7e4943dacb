"""SG1xx test tampering: the tests were changed so that they stop measuring.

Rules compare each test before and after the change (tests matched by qualified name) and look at
what the change wrote into tests. Humans change tests too (behaviour changes, refactors, moves), so
only shapes that make a failing check disappear reach medium; the rest is reported low as context.
"""
