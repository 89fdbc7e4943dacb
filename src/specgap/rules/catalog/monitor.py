"""The monitor's checks (SG8xx): identity and documentation pages.

The computations live in the family modules (divergence, length, selfeval, classifier, textgame)
and take a metric table rather than a ChangeSet (`reads = "metrics"`), so scan never selects them; they
exist so that `specgap rule SG801` documents a monitor finding like any other rule.
"""

from __future__ import annotations

from specgap.model import Confidence, Kind, Severity
from specgap.rules import register
from specgap.rules.base import Rule


class MonitorRule(Rule):
    """Base of the monitor checks: gaming of a measured metric, found in logs, not in code."""

    family = "monitor"
    reads = "metrics"
    kind = Kind.GAMING
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    roles = ()  # never runs on a code change


@register
class ProxyTruthDivergence(MonitorRule):
    """The proxy metric rises over the run while the ground truth does not.

    What it does: per step (or version), averages the proxy and the truth; tests that the proxy
    trends up (Theil-Sen slope, Mann-Kendall test corrected for serial correlation), that the
    truth gained less than a small effect (0.2 of its standard deviation; an equivalence test),
    and that the proxy gained more than the truth in SD units. All three must hold. The step where
    the proxy-minus-truth gap starts to climb is located with a change-point fit (ruptures).

    Why is this bad: a proxy that climbs while the goal stalls or falls means the optimizer found
    what the proxy pays for instead of what it was meant to measure; dashboards built on the proxy
    stay green while the product gets no better, or worse.

    Example:
        step, reward_model, human_rating
        100,  0.41,         3.9
        500,  0.63,         3.8
        1000, 0.88,         3.5

    Use instead: stop or roll back at the onset step, retrain or ensemble the proxy (reward model,
    judge) on fresh truth labels from the current policy, and keep a held-out truth metric on the
    dashboard next to the proxy.
    """

    id = "SG801"
    name = "proxy-truth-divergence"
    severity = Severity.HIGH


@register
class OverOptimization(MonitorRule):
    """The truth rose, peaked, then fell while the proxy kept rising (over-optimization).

    What it does: fits a parabola to the per-step truth; when its peak lies inside the run and the
    curvature is significantly negative, tests that the truth falls after the peak and that the
    proxy still rises there (all three must hold). Reports the peak step and the drop since.

    Why is this bad: this is the classic reward over-optimization curve (Goodhart): early on the
    proxy and the goal agree, then further optimization exploits the proxy's errors. Every step
    after the peak made the model worse while the proxy reported progress.

    Example:
        gold reward 0.2 -> 0.6 (step 300) -> 0.35 (step 1000) while the reward model's score
        climbs 0.3 -> 0.9 over the same steps.

    Use instead: select the checkpoint at the peak, add a KL or early-stopping criterion measured
    on the truth, and refresh the proxy with labels from the current policy's outputs.
    """

    id = "SG802"
    name = "over-optimization"
    severity = Severity.HIGH


@register
class Decoupling(MonitorRule):
    """The correlation between proxy and truth collapses over the run.

    What it does: splits the rows into consecutive step windows, computes the proxy-truth
    correlation within each, and tests for a downward trend of the Fisher-z transformed
    correlations (weighted by window size).

    Why is this bad: a proxy is only useful while it ranks outputs the way the truth does. When the
    policy moves into regions where the proxy was never trained, its scores stop carrying
    information about quality, even before the averages diverge. A narrowing range of the truth
    late in a run also lowers the correlation, so read the windows in the finding's stats.

    Example:
        r(judge_score, human_rating) = 0.62 in steps 0-100, 0.15 in steps 900-1000

    Use instead: re-validate the proxy on outputs of the current model, and re-train or replace it
    when its correlation with the truth drops.
    """

    id = "SG803"
    name = "proxy-truth-decoupling"


@register
class LengthBias(MonitorRule):
    """The proxy pays for length beyond what the ground truth pays.

    What it does: with the model and the prompt of each output (`--model`, `--prompt`; for pairs
    `--pair-model-a/-b`), it measures the length effect within a model and a prompt, so that a
    better model writing longer answers, or a prompt calling for long answers, is not taken for
    bias: for scores, a regression on log length with model and prompt fixed effects; for pairwise
    verdicts, a logistic model of "A preferred" on the log length ratio with per-model strengths
    and per-prompt terms (the length-controlled win rate of AlpacaEval). It reports the effect per
    doubling of length, the win rates or mean scores per model predicted at equal lengths, and how
    the ranking moves. Without a truth column the finding states its caveat (a longer answer from
    the same model to the same prompt may really be better) and is at most medium confidence; with
    `--truth` the judge must pay for length more than the truth itself does. With a truth column
    and no model or prompt, the partial correlation of the proxy with log length given the truth
    (within steps), a length-controlled score per group and the share of the gain over the run that
    longer outputs account for. A noisy truth leaves part of quality's link to length in that
    partial correlation, so by default the proxy must also go with length more than the truth does
    (valid while the truth is no less reliable than the judge, at the cost of missing small biases of
    a noisier judge); with model and prompt terms, its length slope must exceed the truth's, each in
    its SDs. For scores, `--truth-reliability R` (1 for an exact verifier, inter-annotator agreement
    for human labels) instead takes the truth's stated noise out of the regression (errors-in-variables
    correction) and tests the length slope alone. With neither, only the association is noted.
    Every variant runs on aggregates that add up across shards (`--engine ray`, or logs too large
    to load): moments per step, or per (model, prompt) cell, give exactly the regression on the
    rows; pairs are counted per (models, prompt, truth's choice, length ratio) cell, whose count
    and sum of choices carry the whole likelihood. Above 2 million pairs the log length ratio is
    binned to 0.1 (the cell's mean ratio as its covariate, the likelihood expanded to second order in
    the ratio's spread inside the cell): on seeded logs the log-odds per log ratio moves by less than
    0.001, the length-controlled win rates by less than 0.001 and -log10 p by less than 1% (tested);
    below that the ratio is exact. Cells too many for memory (over a million) are computed in
    partitions by a hash of the prompt and kept on disk, and the model is fitted by Newton's method
    one partition at a time (the prompt terms eliminated per partition): memory stays bounded
    whatever the number of prompts, with the same fit (tested to 1e-6).

    Why is this bad: judges and reward models are known to prefer longer answers; a model optimized
    against them learns to pad. Leaderboard win rates then rank verbosity, not quality.

    Example:
        reward +0.12 per doubling of length at equal human rating (partial r = 0.35)

    Use instead: report length-controlled scores, add a length penalty or length-balanced
    comparisons to the reward, and calibrate the judge against human labels at matched lengths.
    """

    id = "SG804"
    name = "length-bias"


@register
class SelfEvaluationInflation(MonitorRule):
    """A model rates its own outputs higher than independent raters rate the same items.

    What it does: the paired difference self minus independent: Wilcoxon signed-rank test, mean
    inflation with a 95% interval, quadratic-weighted kappa for agreement, and the surface features
    (length, confident wording, hedging, list structure) that go with the inflation. It runs on the
    count of items per (self rating, independent rating, features), which adds up across shards
    (`--engine ray`, logs too large to load): the same numbers as on the items. Above 2 million
    items the ratings are rounded to 4 significant digits (ratings on a scale are unchanged) and the
    interval is the t interval.

    Why is this bad: self-assessment used as a reward or a quality gate rewards the model for
    believing in itself; the inflation shows the gate measures confidence, not correctness.

    Example:
        self_score 8.7 vs independent 6.1 on the same 400 answers (kappa 0.12)

    Use instead: gate on independent ratings, or calibrate the self-rating against independent
    ratings and audit the items with the largest gaps.
    """

    id = "SG805"
    name = "self-evaluation-inflation"


@register
class FlagsEverything(MonitorRule):
    """A classifier flags far more than the base rate: recall bought with specificity.

    What it does: compares the flag rate with the base rate of true positives (McNemar's exact test
    of false positives against false negatives) and sizes the gap with Cohen's h. The extreme case
    (flag rate near 1, precision at the base rate) is reported as flagging everything; milder
    over-flagging, where a large share of clean items is flagged so that nothing bad slips through,
    is reported with its specificity. Precision, recall and specificity per step window show when
    it began.

    Why is this bad: a grader, filter or reviewer scored on recall can reach 100% by flagging every
    item; the metric looks perfect while the classifier has stopped discriminating.

    Example:
        flag rate 97% vs base rate 12%: recall 100%, specificity 3%, precision 12%

    Use instead: score classifiers on precision and recall together (or on a cost-weighted error),
    and monitor the flag rate against the base rate.
    """

    id = "SG806"
    name = "flags-everything"


@register
class PassesEverything(MonitorRule):
    """A classifier flags far less than the base rate: specificity bought with recall.

    What it does: the mirror of SG806: false negatives against false positives (McNemar's exact
    test) and Cohen's h between flag rate and base rate; the extreme case passes almost everything.

    Why is this bad: a gate judged on its false-alarm rate or on throughput can pass every item;
    bad items reach users while the gate reports no problems.

    Example:
        flag rate 1% vs base rate 15%: recall 4%, specificity 100%

    Use instead: measure recall on labelled samples, and monitor the flag rate against the base rate.
    """

    id = "SG807"
    name = "passes-everything"


@register
class DegenerateText(MonitorRule):
    """High text-metric scores go to degenerate outputs (stuffing, repetition, extreme length).

    What it does: computes word count, distinct-word ratio, the most frequent word's share and the
    function-word ratio of each output; flags robust outliers in the bad direction; tests whether
    flagged outputs are over-represented among the top quarter by the metric (Fisher's exact test)
    and lists examples. Above 200,000 scored outputs (per group) it tests a uniform sample of about
    200,000, kept by a hash of the row number: every shard keeps its part of the same sample, so
    one machine and `--engine ray` test the same outputs.

    Why is this bad: overlap metrics (ROUGE, BLEU, keyword recall) can be raised by repeating
    reference words or padding output; the score rises while the text stops being readable.

    Example:
        ROUGE-L 0.71 for "refund refund policy refund days refund policy refund ..."

    Use instead: pair overlap metrics with fluency or human checks, cap length, penalize repetition.
    """

    id = "SG808"
    name = "degenerate-text"


@register
class InSessionDivergence(MonitorRule):
    """Inside sessions, the proxy rises while the truth does not: a feedback loop.

    What it does: runs the divergence test of SG801 within each session or episode (rows in step
    order) and tests whether more sessions diverge than chance allows (binomial test against the
    per-session level). It runs on the moments per (session, step), which add up across shards:
    rows of one session that share a step are one point of its series (their mean). When they are
    too many for memory they are computed in partitions by a hash of the session, kept on disk, and
    tested one partition at a time.

    Why is this bad: an agent that sees a metric during a session (tests passing, a score, a
    reviewer's approval) can optimize it directly, turn by turn, while the real task gets no closer.

    Example:
        14 of 40 sessions: tests_passed climbs every turn while hidden-test pass rate falls

    Use instead: hide the graded metric from the agent, score on held-out checks, and audit the
    diverging sessions listed in the finding.
    """

    id = "SG809"
    name = "in-session-divergence"
    severity = Severity.HIGH


@register
class StyleBias(MonitorRule):
    """The proxy pays for style (lists, confident wording, no hedging) beyond what the truth pays.

    What it does: for each style feature of the output text (list lines, confident words, hedging
    words), the partial correlation with the proxy given the truth and the log length, from the
    moments of the proxy, the truth, the length and the features (exact on any engine).

    Why is this bad: judges reward answers that look thorough and sure of themselves; a model
    optimized against them learns formatting and tone instead of being right.

    Example:
        partial r(judge, list formatting | human, length) = +0.28

    Use instead: calibrate the judge on style-matched pairs, or control style in the reported score.
    """

    id = "SG810"
    name = "style-bias"


MONITOR_RULES = {r.id: r for r in (ProxyTruthDivergence, OverOptimization, Decoupling, LengthBias,
                                   SelfEvaluationInflation, FlagsEverything, PassesEverything,
                                   DegenerateText, InSessionDivergence, StyleBias)}
