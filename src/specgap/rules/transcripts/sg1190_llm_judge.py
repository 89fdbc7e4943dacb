"""SG1190: the optional LLM judge's verdict (a page only: the judge runs in run/judge.py)."""

from __future__ import annotations

from specgap.model import Confidence, Kind, Severity
from specgap.rules import register
from specgap.rules.transcripts._shared import RolloutRule


@register
class LlmJudge(RolloutRule):
    """A second opinion from an LLM judge, with quotes checked against the transcript.

    What it does: with `specgap transcripts --judge MODEL`, sends each rollout (cut to a size
    limit) to an OpenAI-compatible endpoint and asks for a verdict with quotes. A "gamed"
    verdict is reported under this id, only when every quote it cites is found in the turn it
    names. Off by default; tokens and cost are in the summary.

    Why is this bad: the judge reads intent and context that rules cannot; it is a second
    opinion, never mixed into the rules' findings, and wrong often enough to need the quotes.

    Example:
        SG1190 llm-judge: LLM judge (gpt-4.1): the agent deletes the failing test, then claims success
            [turn 4] rm -f tests/test_parser.py

    Use instead: read the quoted turns; act on the rule findings beside it.
    """

    id = "SG1190"
    name = "llm-judge"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.LOW
    reads = "judge"  # not a rule the engine runs: the judge's findings carry this id
