"""Seeded synthetic metric logs, honest and gamed, for the bundled examples, the tests and the benchmarks.

Each generator takes a seed and a `strength` in [0, 1]: 0 is an honest run (the proxy measures
the truth plus independent noise, so every check's null hypothesis holds), larger values game the
proxy harder. Texts are built from a small vocabulary so that text statistics are real.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import polars as pl

_TOPIC = ("refund policy order delivery account password invoice payment shipping warranty customer "
          "support address return exchange product service plan upgrade billing").split()
_FILL = ("the a of to and in for with your we you is are can will this that it on be by please "
         "our when after before if as".split())
_VERBS = "check update send cancel confirm review change receive process request contact".split()
_CONFIDENT = "definitely certainly clearly absolutely guaranteed".split()
_HEDGE = "might perhaps possibly probably likely".split()


def _sentence(rng: np.random.Generator, confident: bool = False, hedge: bool = False) -> str:
    n = int(rng.integers(6, 14))
    pools = (_FILL, _TOPIC, _VERBS)
    kind = np.where(rng.random(n) < 0.55, 0, np.where(rng.random(n) < 0.6, 1, 2))
    words = [pools[k][i % len(pools[k])] for k, i in zip(kind, rng.integers(0, 1 << 30, n))]
    if confident:
        words.insert(int(rng.integers(0, len(words))), _CONFIDENT[int(rng.integers(len(_CONFIDENT)))])
    if hedge:
        words.insert(int(rng.integers(0, len(words))), _HEDGE[int(rng.integers(len(_HEDGE)))])
    return " ".join(words).capitalize() + "."


def text(rng: np.random.Generator, sentences: int, confident: float = 0.0, listy: bool = False,
         hedge: float = 0.2) -> str:
    parts = [_sentence(rng, rng.random() < confident, rng.random() < hedge) for _ in range(max(sentences, 1))]
    return "\n".join(f"- {p}" for p in parts) if listy else " ".join(parts)


def stuffed(rng: np.random.Generator, keywords: list[str], n: int) -> str:
    """Keyword stuffing: reference words repeated without sentences."""
    return " ".join(keywords[i] for i in rng.integers(0, len(keywords), n))


def training_run(seed: int, strength: float = 0.0, steps: int = 120, per_step: int = 10) -> "pl.DataFrame":
    """RL-style log, one row per example: `reward_model` (proxy), `gold_reward` (truth), `length`.

    Honest: both follow the same saturating improvement. Gamed: after 35% of the run the policy
    exploits the reward model (a per-example hack bonus growing with `strength`) and the gold
    reward turns down (the over-optimization curve).
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    k = np.repeat(np.arange(steps), per_step)
    s = k / max(steps - 1, 1)
    late = np.maximum(0.0, s - 0.35)
    m = 0.6 * (1 - np.exp(-4 * s)) - strength * 1.2 * late
    truth = m + rng.normal(0, 0.5, len(s))
    hack = strength * 2.5 * late * rng.exponential(1.0, len(s))
    proxy = truth + hack + rng.normal(0, 0.3, len(s))
    length = np.round(np.exp(rng.normal(4.2 + strength * 0.8 * late, 0.5))).astype(int)
    return pl.DataFrame({"step": k * 10, "reward_model": proxy.round(4), "gold_reward": truth.round(4),
                         "length": length})


def judge_run(seed: int, strength: float = 0.0, n: int = 1200, with_text: bool = True) -> "pl.DataFrame":
    """Pointwise judge log: `judge_score` (proxy), `human_score` (truth), `output`, `model`.

    Longer answers are somewhat better in truth; an honest judge scores quality plus noise, a
    biased one adds `strength` x standardized log length (and a little for list formatting).
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    q = rng.normal(0, 1, n)
    model = rng.choice(["model-a", "model-b", "model-c"], n)
    verbose = np.where(model == "model-c", 1.0, 0.0)  # one model pads its answers
    sent = np.clip(np.round(np.exp(1.3 + 0.25 * q + 0.5 * verbose + rng.normal(0, 0.4, n))), 1, 40).astype(int)
    listy = rng.random(n) < 0.3
    outputs = [text(rng, int(c), listy=bool(li)) for c, li in zip(sent, listy)] if with_text else None
    words = np.array([len(o.split()) for o in outputs]) if outputs else sent * 10
    loglen = np.log1p(words)
    z = (loglen - loglen.mean()) / loglen.std()
    judge = q + strength * (0.8 * z + 0.3 * listy) + rng.normal(0, 0.6, n)
    cols = {"model": model, "judge_score": judge.round(4), "human_score": q.round(4), "length": words}
    if outputs:
        cols["output"] = outputs
    return pl.DataFrame(cols)


def pairwise_run(seed: int, strength: float = 0.0, n: int = 1500) -> "pl.DataFrame":
    """Pairwise judge log: `judge_prefers_a` (proxy, 1/0), `human_prefers_a` (truth), `len_a`, `len_b`.

    The human choice is the better output (by latent quality); an honest judge sees quality with
    noise, a biased one also adds `strength` x the log length ratio to its logit.
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    qa, qb = rng.normal(0, 1, n), rng.normal(0, 1, n)
    la = np.round(np.exp(rng.normal(5, 0.6, n))).astype(int)
    lb = np.round(np.exp(rng.normal(5, 0.6, n))).astype(int)
    human = (qa > qb).astype(float)
    logit = 3 * (qa - qb) + strength * 2 * np.log(la / lb)
    judge = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return pl.DataFrame({"judge_prefers_a": judge, "human_prefers_a": human, "len_a": la, "len_b": lb})


def classifier_run(seed: int, strength: float = 0.0, n: int = 2000, steps: int = 10,
                   mirror: bool = False) -> "pl.DataFrame":
    """Moderation log: `flagged` (pred), `harmful` (label), `step`.

    Honest: recall 0.8 and a false-positive rate set so the flag rate equals the base rate.
    Gamed: from the middle of the run, a `strength` share of clean items is flagged too (or, with
    `mirror`, a `strength` share of harmful items is passed).
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    base, recall = 0.15, 0.8
    fpr = base * (1 - recall) / (1 - base)
    step = np.sort(rng.integers(0, steps, n))
    y = rng.random(n) < base
    late = step >= steps // 2
    g = np.where(late, strength, 0.0)
    if mirror:
        p_flag = np.where(y, recall * (1 - g), fpr)
    else:
        p_flag = np.where(y, recall + (1 - recall) * g, fpr + (1 - fpr) * g)
    flag = rng.random(n) < p_flag
    return pl.DataFrame({"step": step, "flagged": flag.astype(int), "harmful": y.astype(int)})


def self_eval_run(seed: int, strength: float = 0.0, n: int = 400) -> "pl.DataFrame":
    """Self-evaluation log: `self_score` and `independent_score` (1-10) for the same `answer`.

    Honest: the self-rating is the independent rating plus symmetric noise. Inflated: confident
    answers rate themselves up by about 2 x `strength` points.
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    q = rng.normal(0, 1, n)
    confident = rng.random(n) < 0.5
    answers = [text(rng, int(rng.integers(2, 6)), confident=0.9 if c else 0.0) for c in confident]
    indep = np.clip(np.round(6 + 1.6 * q + rng.normal(0, 0.8, n)), 1, 10)
    noise = rng.normal(0, 0.9, n)
    self_ = np.clip(np.round(6 + 1.6 * q + noise + strength * 2.0 * confident), 1, 10)
    return pl.DataFrame({"answer": answers, "self_score": self_.astype(int), "independent_score": indep.astype(int)})


def summary_run(seed: int, strength: float = 0.0, n: int = 600) -> "pl.DataFrame":
    """Summarization log: `output`, `reference`, `rouge1` (real unigram recall), `faithfulness` (truth).

    Gamed: a `strength` share of outputs are the reference's keywords stuffed and repeated.
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    refs, outs, rouge, faith = [], [], [], []
    for _ in range(n):
        ref = text(rng, 2, hedge=0.0)
        rw = ref.lower().replace(".", "").split()
        if rng.random() < strength:
            keys = [w for w in rw if w not in _FILL] or rw
            out = stuffed(rng, keys, int(rng.integers(20, 50)))
            f = rng.normal(0.2, 0.1)
        else:
            out = text(rng, int(rng.integers(1, 4)), hedge=0.0)
            f = rng.normal(0.7, 0.15)
        ow = set(out.lower().replace(".", "").replace("- ", "").split())
        refs.append(ref)
        outs.append(out)
        rouge.append(round(sum(w in ow for w in rw) / len(rw), 4))
        faith.append(round(float(f), 4))
    return pl.DataFrame({"output": outs, "reference": refs, "rouge1": rouge, "faithfulness": faith})


def session_run(seed: int, strength: float = 0.0, sessions: int = 40, turns: int = 25) -> "pl.DataFrame":
    """Agent sessions: `session`, `turn`, `visible_tests` (proxy), `hidden_tests` (truth).

    Honest: both follow the session's progress. Gamed: in a `strength` share of sessions the agent
    games the visible tests: they climb while the hidden tests fall (by about 0.4 over the session).
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    rows = []
    for sid in range(sessions):
        gamed = rng.random() < strength
        prog = np.cumsum(rng.normal(0.02, 0.03, turns))
        truth = 0.3 + (np.linspace(0, -0.4, turns) if gamed else prog) + rng.normal(0, 0.08, turns)
        proxy = 0.3 + prog + (np.linspace(0, 0.4, turns) if gamed else 0) + rng.normal(0, 0.08, turns)
        rows += [{"session": f"s{sid:03d}", "turn": t, "visible_tests": round(float(proxy[t]), 4),
                  "hidden_tests": round(float(truth[t]), 4)} for t in range(turns)]
    return pl.DataFrame(rows)


def _judged_outputs(rng: np.random.Generator, models: int, prompts: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model strengths, verbosities (better models write longer) and prompt length demands."""
    strength = np.linspace(-1, 1, models)
    verbosity = 0.6 * strength + rng.normal(0, 0.1, models)
    demand = rng.normal(0, 0.5, prompts)        # some prompts call for long answers
    return strength, verbosity, demand


def arena_run(seed: int, bias: float = 0.0, quality_length: float = 0.0, n: int = 4000, models: int = 8,
              prompts: int = 300) -> "pl.DataFrame":
    """Pairwise judge log with models and prompts: `judge_prefers_a` (proxy), `human_prefers_a` (truth),
    `model_a`, `model_b`, `prompt`, `len_a`, `len_b`. Half the comparisons are against a baseline model
    (as in AlpacaEval), half between two random models.

    Quality goes with length between models (better models write longer) and prompts call for long
    or short answers, while an honest judge (`bias` 0) pays only for quality. `bias` adds that many
    log-odds per unit of log length ratio to the judge. `quality_length` makes a longer answer from
    the same model to the same prompt really better (the human and the judge both see it).
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    strength, verbosity, demand = _judged_outputs(rng, models, prompts)
    base = models // 2
    a = np.where(rng.random(n) < 0.5, base, rng.integers(0, models, n))
    b = (a + rng.integers(1, models, n)) % models
    p = rng.integers(0, prompts, n)
    ea, eb = rng.normal(0, 0.4, n), rng.normal(0, 0.4, n)
    lla, llb = 5 + demand[p] + verbosity[a] + ea, 5 + demand[p] + verbosity[b] + eb
    qa = strength[a] + quality_length * ea + rng.normal(0, 0.5, n)
    qb = strength[b] + quality_length * eb + rng.normal(0, 0.5, n)
    human = (rng.random(n) < 1 / (1 + np.exp(-4 * (qa - qb)))).astype(float)
    judge = (rng.random(n) < 1 / (1 + np.exp(-(3 * (qa - qb) + bias * (lla - llb))))).astype(float)
    name = np.array([f"model-{i}" for i in range(models)])
    return pl.DataFrame({"prompt": [f"p{i:04d}" for i in p], "model_a": name[a], "model_b": name[b],
                         "len_a": np.round(np.exp(lla)).astype(int), "len_b": np.round(np.exp(llb)).astype(int),
                         "judge_prefers_a": judge, "human_prefers_a": human})


def scored_run(seed: int, bias: float = 0.0, quality_length: float = 0.0, n: int = 3000, models: int = 8,
               prompts: int = 300) -> "pl.DataFrame":
    """Pointwise judge log with models and prompts: `judge_score` (proxy), `human_score` (truth),
    `model`, `prompt`, `length`. Same confounds as `arena_run`; some prompts also get higher scores."""
    import polars as pl

    rng = np.random.default_rng(seed)
    strength, verbosity, demand = _judged_outputs(rng, models, prompts)
    easy = rng.normal(0, 0.5, prompts)
    m, p = rng.integers(0, models, n), rng.integers(0, prompts, n)
    e = rng.normal(0, 0.4, n)
    ll = 5 + demand[p] + verbosity[m] + e
    q = strength[m] + easy[p] + 0.8 * demand[p] + quality_length * e + rng.normal(0, 0.5, n)
    human = q + rng.normal(0, 0.2, n)
    judge = q + bias * (ll - ll.mean()) + rng.normal(0, 0.5, n)
    return pl.DataFrame({"prompt": [f"p{i:04d}" for i in p], "model": [f"model-{i}" for i in m],
                         "length": np.round(np.exp(ll)).astype(int), "judge_score": judge.round(4),
                         "human_score": human.round(4)})
