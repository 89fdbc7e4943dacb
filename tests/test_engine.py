"""Engine mechanics with test-only rules (registered nowhere but for the duration of a test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specgap import rules as registry
from specgap.config import Config
from specgap.engine import evaluate, run_rules, select_rules
from specgap.inputs.changeset import RawFile, build
from specgap.run import BaselineError, baseline_document, read_baseline, scan
from specgap.model import ChangedFile, ChangeSet, FileRole, Finding, Severity, Status
from specgap.rules.base import Rule
from support import Marked
from specgap.rules.suppressions import InvalidSuppression, SuppressionAdded, UnusedSuppression, collect


class Crashes(Rule):
    """Test-only: a rule with a bug."""

    id = "SG092"
    name = "test-crashes"

    def check_file(self, cf: ChangedFile, changeset: ChangeSet) -> Iterator[Finding]:
        raise KeyError("boom")


class MarkedAnywhere(Marked):
    """Test-only: like Marked, but judges whole files (as before/after-comparing rules do)."""

    id = "SG093"
    name = "test-marked-anywhere"
    scope = "diff"


SG9 = [SuppressionAdded, InvalidSuppression, UnusedSuppression]


@pytest.fixture(autouse=True)
def _known_test_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    registry.all_rules()  # load the catalog first, so our entries are added to the full registry
    for rule in (Marked, MarkedAnywhere):
        monkeypatch.setitem(registry._REGISTRY, rule.id, rule)


def _cs(path: str, after: str, before: str | None = None) -> ChangeSet:
    return build([RawFile(path, before, after)])


def _ids(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.rule_id, f.line) for f in findings]


def test_findings_are_kept_only_on_lines_the_change_wrote() -> None:
    before = "a = 'GAMED'\nb = 1\n"
    after = "a = 'GAMED'\nb = 'GAMED'\n"
    assert _ids(run_rules(_cs("src/m.py", after, before), [Marked])) == [("SG091", 2)]
    assert _ids(run_rules(_cs("src/m.py", after), [Marked])) == [("SG091", 1), ("SG091", 2)]


def test_a_pre_existing_standalone_suppression_covers_the_line_below() -> None:
    before = (
        "# specgap: ignore[SG091] the next line is fixture data, reviewed\n"
        "b = 2\n"
        "c = 3  # specgap: ignore[SG091] trailing comments cover their own line only\n"
        "d = 4\n"
    )
    after = before.replace("= 2", "= 'GAMED'").replace("= 4", "= 'GAMED'")
    out = evaluate(_cs("src/m.py", after, before), [Marked, *SG9])
    assert _ids(out.suppressed) == [("SG091", 2)]
    # line 3's suppression does not reach line 4; it silenced nothing, so it is reported as unused
    assert _ids(out.findings) == [("SG903", 3), ("SG091", 4)]


def test_a_pre_existing_trailing_suppression_covers_its_own_line() -> None:
    before = "a = 'GAMED'  # specgap: ignore[SG093] fixture data, reviewed\n"
    after = before + "b = 1\n"
    out = evaluate(_cs("src/m.py", after, before), [MarkedAnywhere, *SG9])
    assert _ids(out.suppressed) == [("SG093", 1)]
    assert out.findings == []


def test_editing_a_suppressed_line_makes_its_suppression_the_changes_own() -> None:
    before = "a = 1  # specgap: ignore[SG091] reviewed for the old line\n"
    after = "a = 'GAMED'  # specgap: ignore[SG091] reviewed for the old line\n"
    out = evaluate(_cs("src/m.py", after, before), [Marked, *SG9])
    assert sorted(_ids(out.findings)) == [("SG091", 1), ("SG901", 1)]


def test_a_suppression_written_by_the_change_is_reported_and_not_honoured() -> None:
    before = "a = 1\n"
    after = "a = 'GAMED'  # specgap: ignore[SG091] trust me\n"
    out = evaluate(_cs("src/m.py", after, before), [Marked, *SG9])
    assert sorted(_ids(out.findings)) == [("SG091", 1), ("SG901", 1)]
    assert out.suppressed == []


def test_every_suppression_counts_as_written_when_everything_is_new() -> None:
    out = evaluate(_cs("src/m.py", "a = 'GAMED'  # specgap: ignore[SG091] trust me\n"), [Marked, *SG9])
    assert sorted(_ids(out.findings)) == [("SG091", 1), ("SG901", 1)]


def test_markers_inside_strings_are_not_suppressions() -> None:
    before = 's = """\n# specgap: ignore[SG091] not a comment\n"""\nx = 1\n'
    after = before.replace("x = 1", "x = 'GAMED'")
    src = 't = "# specgap: ignore[SG091] nope"\n' + after
    assert collect(_cs("src/m.py", src).files[0]) == []
    out = evaluate(_cs("src/m.py", after, before), [Marked, *SG9])
    assert _ids(out.findings) == [("SG091", 4)]


def test_whole_line_comments_suppress_in_other_text_files() -> None:
    before = "[pytest]\n# specgap: ignore[SG091] the team's deliberate addopts\naddopts = -q\n"
    after = before.replace("-q", "-q GAMED")
    out = evaluate(_cs("pytest.ini", after, before), [Marked, *SG9])
    assert _ids(out.suppressed) == [("SG091", 3)]
    assert out.findings == []


def test_a_suppression_is_judged_unused_only_for_rules_that_ran() -> None:
    before = "# specgap: ignore[SG091] reviewed\nx = 1\n"
    after = before + "y = 2\n"
    assert evaluate(_cs("src/m.py", after, before), [UnusedSuppression]).findings == []
    assert _ids(evaluate(_cs("src/m.py", after, before), [Marked, UnusedSuppression]).findings) == [("SG903", 1)]


def test_unused_is_not_judged_for_files_seen_in_part_or_unparsed() -> None:
    before = "# specgap: ignore[SG091] reviewed\nx = 1\n"
    broken = before + "def (:\n"
    cs = _cs("src/m.py", broken, before)
    assert cs.files[0].after is not None and cs.files[0].after.error
    assert evaluate(cs, [Marked, UnusedSuppression]).findings == []


def test_per_file_ignores_and_selection() -> None:
    cs = build([RawFile("legacy/a.py", None, "x = 'GAMED'\n"), RawFile("src/b.py", None, "y = 'GAMED'\n")])
    out = evaluate(cs, [Marked], per_file_ignores=[("legacy/*", ["SG09"])])
    assert [(f.path, f.rule_id) for f in out.findings] == [("src/b.py", "SG091")]
    assert [f.path for f in out.ignored] == ["legacy/a.py"]
    assert select_rules([Marked, *SG9], select=["SG9"]) == SG9
    assert select_rules([Marked, *SG9], select=["SG9"], ignore=["SG902"]) == [SuppressionAdded, UnusedSuppression]
    assert select_rules([Marked, *SG9], ignore=["SG"]) == []


def test_fingerprints_survive_lines_inserted_above() -> None:
    before = "import os\n"
    after = "import os\nx = 'GAMED'\n"
    shifted = "import os\n\n# a new comment\nimport sys\n\nx = 'GAMED'\n"
    (a,) = run_rules(_cs("src/m.py", after, before), [Marked])
    (b,) = run_rules(_cs("src/m.py", shifted, before), [Marked])
    assert a.line != b.line
    assert a.fingerprint == b.fingerprint
    (c,) = run_rules(_cs("src/m.py", "import os\nx = 'GAMED!'\n", before), [Marked])
    assert c.fingerprint != a.fingerprint


def test_identical_findings_get_distinct_fingerprints() -> None:
    fs = run_rules(_cs("src/m.py", "x = 'GAMED'\nx = 'GAMED'\n"), [Marked])
    assert len({f.fingerprint for f in fs}) == len(fs) == 2


def test_baseline_round_trip_leaves_out_only_known_findings(tmp_path: Path) -> None:
    first = run_rules(_cs("src/m.py", "x = 'GAMED'\n"), [Marked])
    path = tmp_path / "baseline.json"
    import json

    path.write_text(json.dumps(baseline_document(first)))
    known = read_baseline(path)
    out = evaluate(_cs("src/m.py", "x = 'GAMED'\ny = 'GAMED'\n"), [Marked], baseline=known)
    assert _ids(out.baselined) == [("SG091", 1)]
    assert _ids(out.findings) == [("SG091", 2)]


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"findings": [{"fp": 1}]}', "\udcff"])
def test_unusable_baselines_are_clear_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(BaselineError, match="baseline"):
        read_baseline(path)


def test_a_crashing_rule_is_reported_and_the_others_still_run() -> None:
    cs = _cs("src/m.py", "x = 'GAMED'\n")
    fs = run_rules(cs, [Crashes, Marked])
    assert _ids(fs) == [("SG091", 1)]
    assert any("SG092" in e.message and "boom" in e.message for e in cs.errors)


def test_scan_summarizes_counts_roles_and_config() -> None:
    cs = build([RawFile("src/a.py", None, "x = 'GAMED'\n"), RawFile("tests/test_a.py", None, "y = 1\n")])
    result = scan(cs, Config(source="here"), rules=[Marked])
    s = result.summary
    assert s["findings"] == len(result.findings) == s["by_rule"]["SG091"] == s["by_severity"]["high"]
    assert s["by_kind"] == {"gaming": len(result.findings)}
    assert s["files"] == [{"path": "src/a.py", "role": "product", "status": "added"},
                          {"path": "tests/test_a.py", "role": "test", "status": "added"}]
    assert s["files_scanned"] == 2 and s["config"] == "here" and s["fail_on"] == "medium"
    assert result.fails() and not result.fails(Severity.CRITICAL)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#[]:\n\"' \\ab()=specgapignoreSG901,")), max_size=200))
def test_suppression_parsing_never_crashes(text: str) -> None:
    for path in ("src/m.py", "setup.cfg"):
        cs = _cs(path, text, "")
        evaluate(cs, [Marked, *SG9])
        assert not [e for e in cs.errors if e.path.startswith("<rule")]


def test_every_suppression_covering_a_finding_counts_as_used() -> None:
    before = "# specgap: ignore[SG093] reviewed above\nx = 'GAMED'  # specgap: ignore[SG093] and here\n"
    after = before + "y = 1\n"
    out = evaluate(_cs("src/m.py", after, before), [MarkedAnywhere, *SG9])
    assert _ids(out.suppressed) == [("SG093", 2)]
    assert out.findings == []


def test_the_public_api_scans_repos_diffs_and_files(tmp_path: Path) -> None:
    import subprocess

    import specgap

    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                              check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    (repo / ".specgap.toml").write_text('select = ["SG9"]\n')
    (repo / "app.py").write_text("X = 1\n")
    git("add", "-A")
    git("commit", "-qm", "base")
    (repo / "app.py").write_text("X = 1  # specgap: ignore[SG902] trust me\n")

    result = specgap.scan_repo(repo)
    assert isinstance(result, specgap.ScanResult)
    assert [(f.rule_id, f.path) for f in result.findings] == [("SG901", "app.py")]
    assert isinstance(result.findings[0], specgap.Finding)
    assert result.summary["config"] == ".specgap.toml at HEAD" and result.errors == []

    diff = specgap.scan_diff(git("diff"), repo=repo)
    assert [f.rule_id for f in diff.findings] == ["SG901"]
    assert diff.summary["config"].endswith(".specgap.toml")

    files = specgap.scan_files([repo / "app.py"])
    assert "SG901" in files.summary["by_rule"]


_HUNK = b"--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,4 @@\n"


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | st.text(alphabet=st.sampled_from(list("+- @\n,0123abc#:\\/\"'()")), max_size=300).map(
    str.encode), st.booleans())
def test_any_diff_gives_a_result_or_a_clear_input_failure(data: bytes, with_header: bool) -> None:
    from specgap import scan_diff
    from specgap.inputs import InputFailure

    try:
        result = scan_diff((_HUNK if with_header else b"") + data, config=Config())
    except InputFailure as exc:
        assert str(exc)
        return
    assert not [e for e in result.errors if e.path.startswith("<rule")], result.errors


class CrashesEagerly(Rule):
    """Test-only: a `check` that is a plain function, raising before it returns anything."""

    id = "SG094"
    name = "test-crashes-eagerly"

    def check(self, changeset: ChangeSet) -> list[Finding]:
        raise ValueError("eager boom")


def test_a_rule_that_crashes_before_yielding_is_reported_too() -> None:
    cs = _cs("src/m.py", "x = 'GAMED'\n")
    assert _ids(run_rules(cs, [CrashesEagerly, Marked])) == [("SG091", 1)]
    assert any("eager boom" in e.message for e in cs.errors)


def test_each_transcript_is_judged_on_its_own_prompt_tests() -> None:
    """Two rollouts scanned together: a literal from one prompt's tests says nothing about the other."""
    solution = "def solve(n):\n    if n == 987654:\n        return 123456789\n    return n * 2\n"
    tests = "assert solve(987654) == 123456789\n"
    raws = [RawFile("a.md::solution.py", None, solution), RawFile("b.md::solution.py", None, solution)]
    cs = build(raws)
    prompt = build([RawFile("a.md::prompt_tests.py", tests, tests + "\n")]).files[0]
    prompt.status, prompt.role = Status.UNCHANGED, FileRole.TEST
    cs = ChangeSet(files=cs.files, errors=cs.errors, context_loader=lambda: [prompt])
    hits = {f.path: f.severity for f in run_rules(cs, [registry.get_rule("SG402")])}
    assert hits.get("a.md::solution.py", Severity.LOW) >= Severity.HIGH
    assert hits.get("b.md::solution.py", Severity.LOW) < Severity.HIGH


def test_suppression_examples_in_documentation_are_not_suppressions() -> None:
    doc = "Example:\n\n```python\n# specgap: ignore[SG301] the CLI exits on purpose\nsys.exit(main())\n```\n"
    cs = build([RawFile("README.md", None, doc), RawFile("docs/usage.rst", None, doc)])
    assert run_rules(cs, [SuppressionAdded, InvalidSuppression]) == []
    # the same comment in code the change wrote is a suppression, and is reported
    cs = build([RawFile("src/app.py", None, "import sys\n# specgap: ignore[SG301] exits on purpose\nsys.exit(0)\n")])
    assert [f.rule_id for f in run_rules(cs, [SuppressionAdded])] == ["SG901"]


def test_a_rule_only_looks_at_files_that_mention_its_words() -> None:
    import re

    class Looks(Rule):
        """Test-only rule: reports line 1 of every file it is shown."""

        id, name = "SG095", "test-looks"
        mentions = re.compile(r"exit")

        def check_file(self, cf, changeset):
            yield self.finding(cf, 1, "looked")

    cs = build([RawFile("a.py", None, "import os\nos._exit(0)\n"), RawFile("b.py", None, "x = 1\n")])
    assert [f.path for f in run_rules(cs, [Looks])] == ["a.py"]
