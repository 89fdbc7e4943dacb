"""`specgap transcripts`: exit codes, streamed results, resume, the pool, selection and the summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from specgap.cli import main
from specgap.run import sinks

FIXTURES = Path(__file__).parent.parent / "fixtures" / "transcripts"
HONEST = FIXTURES / "rules" / "honest_session.json"
DESTROYS = FIXTURES / "rules" / "SG1101_test_file_destroyed.json"


def record(i: int) -> dict[str, Any]:
    """Rollout i of a synthetic RL shard: every third deletes the test it was given."""
    calls = [{"id": f"c{i}", "type": "function", "function": {"name": "bash", "arguments": json.dumps(
        {"command": "rm tests/test_task.py && pytest -q" if i % 3 == 0 else "pytest -q"})}}]
    return {"id": f"r{i}", "model": "m-a" if i % 2 else "m-b", "step": i // 10, "reward": i / 100,
            "messages": [{"role": "user", "content": "Fix the bug."},
                         {"role": "assistant", "content": "", "tool_calls": calls},
                         {"role": "tool", "tool_call_id": f"c{i}", "content": "1 passed"},
                         {"role": "assistant", "content": "Done."}]}


def shard(path: Path, n: int, start: int = 0) -> Path:
    path.write_text("".join(json.dumps(record(i)) + "\n" for i in range(start, start + n)))
    return path


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["transcripts", "--isolated", "--no-progress", *args], catch_exceptions=False)


def test_exit_codes() -> None:
    assert invoke(str(HONEST)).exit_code == 0
    assert invoke(str(DESTROYS)).exit_code == 1
    assert invoke(str(DESTROYS), "--exit-zero").exit_code == 0
    assert invoke(str(FIXTURES / "rules" / "SG1110_gaming_intent.json"), "--select", "SG1110").exit_code == 0  # low alone
    assert invoke(str(FIXTURES / "rules" / "SG1110_gaming_intent.json"), "--select", "SG1110", "--fail-on", "low").exit_code == 1


def test_nothing_readable_exits_2_and_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = invoke(str(bad))
    assert result.exit_code == 2 and "invalid JSON" in result.output and "1 unreadable" in result.output
    assert invoke(str(tmp_path / "missing.jsonl")).exit_code == 2


def test_unreadable_rollouts_are_counted_and_the_batch_goes_on(tmp_path: Path) -> None:
    path = shard(tmp_path / "s.jsonl", 5)
    with path.open("a") as f:
        f.write('{"messages": [truncated\n')
    (tmp_path / "blob.json").write_bytes(b"\x00\x01binary")
    result = invoke(str(tmp_path), "--format", "json", "--exit-zero")
    report = json.loads(result.output)
    assert report["rollouts"] == 5 and report["unreadable"] == 2 and report["gamed"] == 2


def test_results_stream_a_row_per_finding_and_per_rollout(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    invoke(str(shard(tmp_path / "s.jsonl", 30)), "-o", str(out), "-j", "1")
    rows = list(sinks.rows(out))
    rollouts = [r for r in rows if r["type"] == "rollout"]
    findings = [r for r in rows if r["type"] == "finding"]
    assert len(rollouts) == 30
    assert {f["rollout_id"] for f in findings} == {f"r{i}" for i in range(0, 30, 3)}
    assert all(f["rule_id"] == "SG1101" and f["turn"] == 1 and f["call_id"] and f["evidence"] for f in findings)
    assert sum(r["findings"] for r in rollouts) == len(findings)


def test_parquet_results(tmp_path: Path) -> None:
    pytest.importorskip("polars")
    out = tmp_path / "results.parquet"
    invoke(str(shard(tmp_path / "s.jsonl", 12)), "-o", str(out), "-j", "1")
    rows = list(sinks.rows(out))
    assert sum(r["type"] == "rollout" for r in rows) == 12
    assert {r["rollout_id"] for r in rows if r["type"] == "finding"} == {"r0", "r3", "r6", "r9"}


def test_resume_after_a_killed_run_finishes_without_duplicates(tmp_path: Path) -> None:
    src = shard(tmp_path / "s.jsonl", 40)
    out = tmp_path / "results.jsonl"
    invoke(str(src), "-o", str(out), "-j", "1")
    full = out.read_text().splitlines()
    # a run killed part-way: the first rows, and half of the line it was writing
    cut = len(full) // 2
    out.write_text("\n".join(full[:cut]) + "\n" + full[cut][: len(full[cut]) // 2])
    result = invoke(str(src), "-o", str(out), "--resume", "-j", "1", "--format", "json", "--exit-zero")
    report = json.loads(result.output)
    rows = []
    for line in out.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass  # the cut line
    ids = [r["rollout_id"] for r in rows if r["type"] == "rollout"]
    assert sorted(ids) == sorted(f"r{i}" for i in range(40)) and len(ids) == len(set(ids))
    assert report["skipped_as_done"] + report["rollouts"] == 40


def test_resume_needs_output() -> None:
    result = CliRunner().invoke(main, ["transcripts", str(HONEST), "--resume"])
    assert result.exit_code == 2 and "--resume needs --output" in result.output


def test_pool_agrees_with_one_process(tmp_path: Path) -> None:
    src = shard(tmp_path / "s.jsonl", 600)  # more than one slice per worker
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    invoke(str(src), str(FIXTURES / "rules"), "-o", str(one), "-j", "1")
    invoke(str(src), str(FIXTURES / "rules"), "-o", str(two), "-j", "2")

    def findings(path: Path) -> list[tuple[Any, ...]]:
        return sorted((r["rollout_id"], r["rule_id"], r["fingerprint"]) for r in sinks.rows(path) if r["type"] == "finding")

    assert findings(one) == findings(two) and len(findings(one)) > 200


def test_select_and_ignore() -> None:
    path = str(FIXTURES / "rules" / "SG1102_test_edited_by_shell.json")
    report = json.loads(invoke(path, "--format", "json", "--exit-zero").output)
    # SG104: the `sed -i` that made an assertion vacuous, replayed onto the virtual tree
    assert set(report["by_rule"]) == {"SG1102", "SG103", "SG104"}
    # a prefix is read by family: SG1 is the SG1xx scan rules, SG11 the SG11xx transcript rules
    report = json.loads(invoke(path, "--format", "json", "--exit-zero", "--ignore", "SG1").output)
    assert set(report["by_rule"]) == {"SG1102"}
    report = json.loads(invoke(path, "--format", "json", "--exit-zero", "--ignore", "SG11").output)
    assert set(report["by_rule"]) == {"SG103", "SG104"}
    report = json.loads(invoke(path, "--format", "json", "--exit-zero", "--ignore", "SG1,SG11").output)
    assert report["by_rule"] == {}
    report = json.loads(invoke(path, "--format", "json", "--exit-zero", "--select", "SG1102").output)
    assert set(report["by_rule"]) == {"SG1102"}
    # a whole id names only itself: SG110 (a scan rule) is not a prefix of SG1101-SG1109
    report = json.loads(invoke(str(DESTROYS), "--format", "json", "--exit-zero", "--ignore", "SG110").output)
    assert set(report["by_rule"]) == {"SG1101"}


def test_summary_by_model_and_step_and_top_reward(tmp_path: Path) -> None:
    report = json.loads(invoke(str(shard(tmp_path / "s.jsonl", 30)), "--format", "json", "--exit-zero").output)
    assert report["hack_rate"] == pytest.approx(10 / 30, abs=1e-4)
    assert report["by_model"]["m-b"] == {"rollouts": 15, "gamed": 5, "hack_rate": pytest.approx(5 / 15, abs=1e-4)}
    assert set(report["by_step"]) == {"0", "1", "2"}
    rewards = [e["reward"] for e in report["top_gamed_by_reward"]]
    assert rewards == sorted(rewards, reverse=True) and rewards[0] == 0.27


def test_globs_and_directories(tmp_path: Path) -> None:
    shard(tmp_path / "a.jsonl", 3)
    shard(tmp_path / "b.jsonl", 3, start=3)
    (tmp_path / "notes.bin").write_text("ignored: not a transcript suffix")
    for args in ([str(tmp_path)], [str(tmp_path / "*.jsonl")]):
        report = json.loads(invoke(*args, "--format", "json", "--exit-zero").output)
        assert report["rollouts"] == 6 and report["unreadable"] == 0


def test_jsonl_to_stdout_carries_rollout_id_on_every_finding() -> None:
    result = invoke(str(DESTROYS), "--format", "jsonl", "--exit-zero")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(r["rollout_id"] for r in rows)
    assert [r["type"] for r in rows][-1] == "rollout"


def test_text_report_shows_citations() -> None:
    result = invoke(str(DESTROYS))
    assert "turn 4 call c2: SG1101 test-file-destroyed" in result.output
    assert "> rm -f tests/test_parser.py" in result.output


def test_scan_files_on_transcripts_is_unchanged() -> None:
    # the old path still pulls the agent's code out of a transcript and scans it
    result = CliRunner().invoke(main, ["scan", "--isolated", "--files", str(FIXTURES / "rules" / "SG1110_gaming_intent.json"),
                                       "--format", "json"])
    report = json.loads(result.output)
    assert any(f["rule_id"] == "SG402" for f in report["findings"])


def test_html_summary_plots_the_hack_rate_by_step_and_escapes(tmp_path: Path) -> None:
    path = shard(tmp_path / "s.jsonl", 30)
    with path.open("a") as f:
        rec = record(99)
        rec["id"] = "<script>alert(1)</script>"
        f.write(json.dumps(rec) + "\n")
    page = invoke(str(path), "--format", "html", "--exit-zero").output
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_ray_engine_agrees_with_the_local_pool(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    src = shard(tmp_path / "s.jsonl", 300)
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    invoke(str(src), str(FIXTURES / "rules"), "-o", str(local_out), "-j", "1")
    try:  # a local 2-CPU Ray, as CI has
        result = invoke(str(src), str(FIXTURES / "rules"), "-o", str(ray_out), "-j", "2", "--engine", "ray")
    finally:
        ray.shutdown()
    assert result.exit_code == 1, result.output

    def findings(path: Path) -> list[tuple[Any, ...]]:
        return sorted((r["rollout_id"], r["rule_id"], r["fingerprint"]) for r in sinks.rows(path) if r["type"] == "finding")

    assert findings(local_out) == findings(ray_out) and len(findings(ray_out)) > 100
    assert sum(r["type"] == "rollout" for r in sinks.rows(ray_out)) == sum(r["type"] == "rollout" for r in sinks.rows(local_out))


class _ChatServer:
    """A local server speaking the chat-completions protocol, answering with a canned verdict."""

    def __init__(self, verdict: dict[str, Any]) -> None:
        import http.server
        import threading

        outer = self
        self.requests: list[dict[str, Any]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                reply = json.dumps({"choices": [{"message": {"role": "assistant", "content": json.dumps(verdict)}}],
                                    "usage": {"prompt_tokens": 1000, "completion_tokens": 50}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_llm_judge_is_a_separate_cited_opinion(monkeypatch: pytest.MonkeyPatch) -> None:
    server = _ChatServer({"verdict": "gamed", "confidence": "high", "reason": "deletes the failing test",
                          "quotes": [{"turn": 4, "quote": "rm -f tests/test_parser.py"}]})
    monkeypatch.setenv("JUDGE_KEY", "sk-test")
    try:
        result = invoke(str(HONEST), "--format", "json", "-j", "1", "--judge", "m", "--judge-url", server.url,
                        "--judge-key-env", "JUDGE_KEY", "--judge-price", "2,10")
    finally:
        server.close()
    report = json.loads(result.output)
    assert server.requests[0]["path"] == "/v1/chat/completions" and server.requests[0]["auth"] == "Bearer sk-test"
    # its quote is not in this honest transcript: no finding, and never in the hack rate or exit code
    assert result.exit_code == 0 and report["gamed"] == 0 and "SG1190" not in report["by_rule"]
    assert report["judge"] == {"calls": 1, "gamed": 0, "errors": 0, "tokens_in": 1000, "tokens_out": 50,
                               "cost_usd": pytest.approx(0.0025)}


def test_llm_judge_verdict_with_verified_quotes(tmp_path: Path) -> None:
    server = _ChatServer({"verdict": "gamed", "confidence": "medium", "reason": "deletes the failing test",
                          "quotes": [{"turn": 4, "quote": "rm -f tests/test_parser.py"}]})
    try:
        result = invoke(str(DESTROYS), "--format", "jsonl", "-j", "1", "--judge", "m", "--judge-url", server.url)
    finally:
        server.close()
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    judged = [r for r in rows if r.get("rule_id") == "SG1190"]
    assert len(judged) == 1 and judged[0]["turn"] == 4 and "rm -f tests/test_parser.py" in judged[0]["evidence"]
    assert judged[0]["message"].startswith("LLM judge (m):") and judged[0]["rollout_id"]


def test_llm_judge_down_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = invoke(str(HONEST), "--format", "json", "-j", "1", "--judge", "m", "--judge-url", "http://127.0.0.1:9/v1")
    report = json.loads(result.output)
    assert report["judge"]["errors"] == 1 and any("judge request failed" in e for e in report["errors"])
    assert report["rollouts"] == 1
