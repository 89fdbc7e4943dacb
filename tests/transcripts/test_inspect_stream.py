"""Inspect `.json` logs are streamed a sample at a time: the first rollout comes before the file is read."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

from specgap.inputs import transcripts
from specgap.inputs.transcripts import inspect_log
from specgap.rollout import Rollout, RolloutError

FORMATS = Path(__file__).parent.parent / "fixtures" / "transcripts" / "formats"
LOG = json.loads((FORMATS / "inspect_log.json").read_text())


def _log(samples: int, pad: int = 20_000) -> dict:
    log = copy.deepcopy(LOG)
    base = log["samples"][0]
    log["samples"] = []
    for i in range(samples):
        s = copy.deepcopy(base)
        s["id"] = f"s{i}"
        s["metadata"] = {"padding": "x" * pad}  # a sample of some size, as real ones are
        log["samples"].append(s)
    return log


class Counting(io.BytesIO):
    """A stream that records how far it has been read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.furthest = 0

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        out = super().read(n)
        self.furthest = max(self.furthest, self.tell())
        return out

    def readinto(self, b) -> int:  # type: ignore[override]
        n = super().readinto(b)
        self.furthest = max(self.furthest, self.tell())
        return n


def test_the_first_sample_arrives_before_the_log_is_read_whole():
    data = json.dumps(_log(200)).encode()
    stream = Counting(data)
    rollouts = inspect_log.stream_json(stream, "big.json")
    first = next(rollouts)
    assert isinstance(first, Rollout) and first.task_id == "s0"
    assert stream.furthest < len(data) / 10, (stream.furthest, len(data))
    rest = list(rollouts)
    assert [r.task_id for r in rest] == [f"s{i}" for i in range(1, 200)]


def test_streamed_log_reads_as_the_whole_document_did(tmp_path):
    path = tmp_path / "log.json"
    path.write_text(json.dumps(_log(3, pad=10)))
    streamed = list(transcripts.read(path))
    whole = list(inspect_log.read_json(json.loads(path.read_text()), str(path)))
    assert [type(r) for r in streamed] == [Rollout] * 3
    assert [(r.id, r.model, r.run, r.task_id, r.reward, len(r.turns), r.shown_tests) for r in streamed] == \
        [(r.id, r.model, r.run, r.task_id, r.reward, len(r.turns), r.shown_tests) for r in whole]
    assert streamed[0].reward == 1.0 and isinstance(streamed[0].reward, float)


def test_a_truncated_log_keeps_the_samples_before_the_cut(tmp_path):
    data = json.dumps(_log(5, pad=1000)).encode()
    path = tmp_path / "cut.json"
    path.write_bytes(data[: int(len(data) * 0.7)])
    items = list(transcripts.read(path))
    assert all(isinstance(i, Rollout) for i in items[:-1]) and len(items) >= 3
    assert isinstance(items[-1], RolloutError) and "invalid JSON after" in items[-1].message


def test_only_eval_logs_are_taken_for_logs():
    assert inspect_log.looks_like_log(json.dumps(_log(1)).encode()[:4096])
    assert not inspect_log.looks_like_log(json.dumps({"messages": [{"role": "user", "content": "eval"}]}).encode())
    assert not inspect_log.looks_like_log(json.dumps([{"eval": {}, "status": "x"}]).encode())
    assert not inspect_log.looks_like_log(b"{\"eval\": {\"task\": ")  # a head with no second key yet
