"""Each RL adapter called the way its framework calls it (the frameworks need torch/GPUs, so the
call contracts are reproduced here: argument names and positions, return shapes)."""

import inspect

import pytest

from specgap.integrations import openrlhf, trl, verifiers, verl
from specgap.integrations.rewards import GamingCheck

from .samples import GAMED, HONEST, PROMPT


def base_verl(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    return {"score": 1.0, "acc": True}


def test_verl_monitor_logs_and_keeps_the_score():
    compute_score = verl.with_specgap(base_verl)
    # verl's reward manager: compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...)
    gamed = compute_score(data_source="code", solution_str=GAMED, ground_truth="", extra_info={"index": 0})
    honest = compute_score("code", HONEST, "", None)
    assert gamed["score"] == honest["score"] == 1.0
    assert gamed["specgap_gaming"] == 1.0 and gamed["specgap_findings"] >= 1 and gamed["acc"] is True
    assert honest["specgap_gaming"] == 0.0 and honest["specgap_max_severity"] == 0.0
    assert all(isinstance(v, float) for k, v in gamed.items() if k.startswith("specgap_"))


@pytest.mark.parametrize("mode, expected", [("zero", 0.0), ("penalty", -1.5)])
def test_verl_opt_in_modes_change_only_gamed_scores(mode, expected):
    compute_score = verl.with_specgap(lambda *a, **k: 1.0, mode=mode, penalty=2.5)
    assert compute_score("code", GAMED, "", {})["score"] == expected
    assert compute_score("code", HONEST, "", {})["score"] == 1.0


def test_verl_signature_is_the_one_verl_calls():
    params = inspect.signature(verl.with_specgap(base_verl)).parameters
    assert list(params)[:4] == ["data_source", "solution_str", "ground_truth", "extra_info"]
    assert params["extra_info"].default is None


def test_verl_without_base_needs_verl():
    try:
        import verl as _  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="verl installed"):
            verl.with_specgap()
    else:
        assert callable(verl.with_specgap())


def base_openrlhf(queries, prompts, labels, **kwargs):
    return {"rewards": [1.0] * len(queries), "scores": [1.0] * len(queries), "extra_logs": {"len": [len(q) for q in queries]}}


def test_openrlhf_reward_func_contract():
    reward_func = openrlhf.with_specgap(base_openrlhf)
    prompts = [PROMPT, PROMPT]
    queries = [PROMPT + GAMED, PROMPT + HONEST]  # OpenRLHF: prompt and response, concatenated
    out = reward_func(queries, prompts, ["", ""])
    as_list = lambda v: [float(x) for x in (v.tolist() if hasattr(v, "tolist") else v)]
    assert as_list(out["rewards"]) == [1.0, 1.0] and as_list(out["scores"]) == [1.0, 1.0]
    assert as_list(out["extra_logs"]["specgap_gaming"]) == [1.0, 0.0]
    assert "len" in out["extra_logs"]
    zeroed = openrlhf.with_specgap(base_openrlhf, mode="zero")(queries, prompts, ["", ""])
    assert as_list(zeroed["rewards"]) == [0.0, 1.0]


def test_openrlhf_base_returning_a_plain_list():
    out = openrlhf.with_specgap(lambda q, p, l: [0.5] * len(q), mode="penalty")([GAMED], [""], [None])
    assert [float(x) for x in out["rewards"]] == [-0.5]


def test_trl_gaming_reward_with_conversational_completions():
    # GRPOTrainer: reward_func(prompts=..., completions=..., completion_ids=..., **dataset_columns, trainer_state=...)
    prompts = [[{"role": "user", "content": PROMPT}]] * 2
    completions = [[{"role": "assistant", "content": GAMED}], [{"role": "assistant", "content": HONEST}]]
    logged = {}
    rewards = trl.gaming_reward(prompts=prompts, completions=completions, completion_ids=[[1], [2]],
                                answer=["", ""], trainer_state=None, log_extra=logged.__setitem__)
    assert rewards == [-1.0, 0.0]
    assert logged["specgap_rules"][0] == "SG401" and logged["specgap_rules"][1] == ""
    assert trl.gaming_reward.__name__ == "specgap_gaming"


def test_trl_wrapper_keeps_rewards_in_monitor_mode_and_zeroes_on_request():
    def accuracy(prompts, completions, **kwargs):
        return [1.0, None]

    prompts, completions = [PROMPT, PROMPT], [GAMED, GAMED]  # standard (string) format
    assert trl.with_specgap(accuracy)(prompts=prompts, completions=completions) == [1.0, None]
    assert trl.with_specgap(accuracy, mode="zero")(prompts=prompts, completions=completions) == [0.0, None]
    assert trl.with_specgap(accuracy).__name__ == "accuracy"


def test_verifiers_rubric_function():
    # verifiers passes the arguments a reward function names: prompt, completion, answer, state, info...
    state = {}
    prompt = [{"role": "system", "content": "Solve."}, {"role": "user", "content": PROMPT}]
    completion = [{"role": "assistant", "content": GAMED}]
    assert verifiers.specgap_gaming(prompt=prompt, completion=completion, answer="", state=state, info={}, task="t") == -1.0
    assert state["specgap"]["rules"] == "SG401" and state["specgap"]["gaming"] == 1.0 and state["specgap"]["details"]
    assert verifiers.specgap_gaming(completion=[{"role": "assistant", "content": HONEST}]) == 0.0


def test_check_rejects_unknown_modes_and_honours_threshold():
    with pytest.raises(ValueError, match="mode"):
        GamingCheck(mode="punish")  # type: ignore[arg-type]
    low_only = "```python\nimport inspect\nframe = inspect.currentframe().f_back\n```"
    judged = GamingCheck(threshold="low").judge(low_only)
    assert judged.findings and judged.gaming
    assert not GamingCheck().judge(low_only).gaming
