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


def _first_then_rest(monkeypatch, tmp_path, doc):
    """Read `doc` as a file through `transcripts.read`: how far the file had been read when the
    first rollout came, its size, the first rollout and the rest."""
    path = tmp_path / "big.json"
    data = json.dumps(doc).encode()
    path.write_bytes(data)
    streams: list[Counting] = []

    def counting_open(p, mode="r", *args, **kwargs):
        streams.append(Counting(Path(p).read_bytes()))
        return streams[-1]

    monkeypatch.setattr(transcripts, "open", counting_open, raising=False)
    rollouts = transcripts.read(path)
    first = next(rollouts)
    return streams[0].furthest, len(data), first, list(rollouts)


def test_the_first_sample_arrives_before_the_log_is_read_whole(monkeypatch, tmp_path):
    furthest, size, first, rest = _first_then_rest(monkeypatch, tmp_path, _log(200))
    assert isinstance(first, Rollout) and first.task_id == "s0"
    assert furthest < size / 10, (furthest, size)
    assert [r.task_id for r in rest] == [f"s{i}" for i in range(1, 200)]


def test_a_list_of_records_is_streamed_too(monkeypatch, tmp_path):
    records = [{"id": f"r{i}", "messages": [{"role": "user", "content": "Fix it."},
                                            {"role": "assistant", "content": "Done. " + "x" * 20_000}]}
               for i in range(200)]
    furthest, size, first, rest = _first_then_rest(monkeypatch, tmp_path, records)
    assert isinstance(first, Rollout) and first.id == "r0"
    assert furthest < size / 10, (furthest, size)
    assert [r.id for r in rest] == [f"r{i}" for i in range(1, 200)]


def test_nan_that_python_writes_is_read_past(tmp_path):
    """ijson stops at NaN; the rest of the document is read as json.loads reads it, nothing twice."""
    log = _log(4, pad=10)
    log["samples"][2]["scores"] = {"s": {"value": float("nan")}}
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(log))  # Python writes NaN
    items = list(transcripts.read(path))
    assert [type(i) for i in items] == [Rollout] * 4
    assert [i.task_id for i in items] == ["s0", "s1", "s2", "s3"]
    records = [{"id": "a", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
                "reward": float("nan") if i == 1 else 1.0} for i in range(3)]
    path.write_text(json.dumps(records))
    assert len([i for i in transcripts.read(path) if isinstance(i, Rollout)]) == 3


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
    assert isinstance(items[-1], RolloutError) and f"invalid JSON after {len(items) - 1} item(s)" in items[-1].message


def test_only_eval_logs_are_taken_for_logs():
    assert inspect_log.looks_like_log(json.dumps(_log(1)).encode()[:4096])
    assert not inspect_log.looks_like_log(json.dumps({"messages": [{"role": "user", "content": "eval"}]}).encode())
    assert not inspect_log.looks_like_log(json.dumps([{"eval": {}, "status": "x"}]).encode())
    assert not inspect_log.looks_like_log(b"{\"eval\": {\"task\": ")  # a head with no second key yet


def test_a_truncated_list_of_records_keeps_the_records_before_the_cut(tmp_path):
    records = [{"id": f"r{i}", "messages": [{"role": "user", "content": "q"},
                                            {"role": "assistant", "content": "a" * 500}]} for i in range(6)]
    data = json.dumps(records).encode()
    path = tmp_path / "cut.json"
    path.write_bytes(data[: int(len(data) * 0.6)])
    items = list(transcripts.read(path))
    assert [i.id for i in items[:-1]] == ["r0", "r1", "r2"]
    assert isinstance(items[-1], RolloutError) and "invalid JSON after 3 item(s)" in items[-1].message


def test_deep_nesting_is_one_clear_error_not_a_memory_blowup(tmp_path):
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    good = json.dumps({"id": "ok", "messages": messages})
    path = tmp_path / "deep.json"
    path.write_text(f"[{good}, {good}, {{\"messages\": " + "[" * 100_000 + "]" * 100_000 + f"}}, {good}]")
    items = list(transcripts.read(path))
    assert [type(i) for i in items] == [Rollout, Rollout, RolloutError]
    assert "nested deeper than" in items[-1].message and "after 2 item(s)" in items[-1].message


def test_sniffing_a_deeply_nested_head_costs_little_memory():
    """ijson's C backend makes every event of a buffer before yielding one; with the dotted path of
    each (`ijson.parse`), 64 KiB of nesting cost gigabytes. The sniff must stay small."""
    import tracemalloc

    from specgap.inputs.transcripts.inspect_log import looks_like_log

    heads = [b"[" * 65536, b'{"eval": {"a": ' + b"[" * 65536, b'{"eval": {}, "status": "success", "x": ' + b"{\"k\": " * 9000]
    tracemalloc.start()
    try:
        found = [looks_like_log(h) for h in heads]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == [False, False, True]
    assert peak < 64 * 1024 * 1024, f"sniffing took {peak / 2**20:.0f} MiB"
