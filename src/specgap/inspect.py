"""Inspect AI integration (needs the `inspect` extra: `pip install 'specgap[inspect]'`).

    from specgap.inspect import gaming_scorer
    Task(dataset=..., solver=..., scorer=[my_scorer(), gaming_scorer()])
"""

from specgap.integrations.inspect_scorer import gaming_scorer

__all__ = ["gaming_scorer"]
