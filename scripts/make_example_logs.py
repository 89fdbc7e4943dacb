"""Write the small example logs bundled under src/specgap/examples/logs/ (fixed seed, reproducible).

    python scripts/make_example_logs.py

The logs come from the seeded generators in `specgap.monitor.synth`:
  honest_run.csv             RL run where the reward model tracks the gold reward (nothing should fire)
  overoptimized_run.jsonl    RL run where the gold reward peaks and falls while the reward model climbs
  flag_everything.csv        moderation classifier that starts flagging everything halfway through
  length_biased_judge.parquet  LLM judge that pays for length and list formatting beyond human scores
  pairwise_judge.csv         pairwise judge preferring the longer output beyond the human choice
  arena_judge.csv            pairwise judge over 8 models and 300 prompts that pays for length, where
                             better models also write longer (no human labels needed to tell them apart)
  self_eval.csv              model rating its confident answers above independent raters
  summaries.jsonl            summarizer whose ROUGE is gamed by keyword stuffing
  agent_sessions.csv         agent sessions where visible tests climb while hidden tests fall
"""

from __future__ import annotations

from pathlib import Path

from specgap.monitor import synth

SEED = 20240601
OUT = Path(__file__).resolve().parents[1] / "src" / "specgap" / "examples" / "logs"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    synth.training_run(SEED, 0.0, steps=100, per_step=8).write_csv(OUT / "honest_run.csv")
    synth.training_run(SEED + 1, 1.0, steps=100, per_step=8).write_ndjson(OUT / "overoptimized_run.jsonl")
    synth.classifier_run(SEED + 2, 1.0, n=1500).write_csv(OUT / "flag_everything.csv")
    synth.judge_run(SEED + 3, 1.0, n=800).write_parquet(OUT / "length_biased_judge.parquet")
    synth.pairwise_run(SEED + 4, 1.0, n=800).write_csv(OUT / "pairwise_judge.csv")
    synth.arena_run(SEED + 8, 0.6, n=3000).write_csv(OUT / "arena_judge.csv")
    synth.self_eval_run(SEED + 5, 1.0, n=300).write_csv(OUT / "self_eval.csv")
    synth.summary_run(SEED + 6, 0.3, n=400).write_ndjson(OUT / "summaries.jsonl")
    synth.session_run(SEED + 7, 0.4, sessions=30, turns=20).write_csv(OUT / "agent_sessions.csv")
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>8}  {p.relative_to(OUT.parents[2])}")


if __name__ == "__main__":
    main()
