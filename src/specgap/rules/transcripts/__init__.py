"""Transcript rules (SG11xx): what an agent did and said in a rollout, one rule per module.

Each rule is a `RolloutRule` whose `check_rollout(rollout)` is a pure function of the rollout;
every finding cites the rollout id, the turn index, the tool-call id and a quote.
"""

from specgap.rules.transcripts import (  # noqa: F401  (registration)
    sg1101_test_file_destroyed,
    sg1102_test_edited_by_shell,
    sg1103_git_history_mining,
    sg1104_solution_fetched,
    sg1105_result_file_written,
    sg1106_test_runner_replaced,
    sg1107_lingering_process,
    sg1108_hidden_answers_read,
    sg1109_answer_in_tool_output,
    sg1110_gaming_intent,
    sg1111_false_success_claim,
    sg1190_llm_judge,
)
