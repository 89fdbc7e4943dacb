"""load_diff: git-style and plain unified diffs, hunk-only and against a repository."""

from __future__ import annotations

import ast
import difflib
import os
import subprocess
from pathlib import Path

import pytest

from specgap.inputs import InputFailure, load_diff
from specgap.model import FileRole, Status

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null"}

TEST_BEFORE = """\
import unittest


class TestCalc(unittest.TestCase):
    def setUp(self):
        self.calc = Calc()

    def test_add(self):
        self.assertEqual(self.calc.add(2, 2), 4)
        self.assertEqual(self.calc.add(-1, 1), 0)

    def test_div(self):
        if self.calc.ready:
            self.assertEqual(self.calc.div(6, 3), 2)
        else:
            self.fail("not ready")
        assert self.calc.div(1, 1) == 1


if __name__ == "__main__":
    unittest.main()
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=ENV).stdout.decode(
        "utf-8", "surrogateescape")


def unified(before: str, after: str, a: str, b: str, n: int = 3) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), a, b, n=n))


def by_path(cs):
    return {f.path: f for f in cs.files}


def nodes(tree, kind):
    return [n for n in ast.walk(tree) if isinstance(n, kind)]


def test_hunk_only_modified_file_keeps_true_line_numbers() -> None:
    after = TEST_BEFORE.replace("self.assertEqual(self.calc.div(6, 3), 2)", "pass").replace(
        "assert self.calc.div(1, 1) == 1", "assert True")
    cs = load_diff(unified(TEST_BEFORE, after, "a/tests/test_calc.py", "b/tests/test_calc.py", n=1))
    cf = by_path(cs)["tests/test_calc.py"]
    assert cf.status is Status.MODIFIED and cf.role is FileRole.TEST
    assert cf.after.partial and cf.before.partial
    assert cf.added_lines == frozenset({14, 17})
    # the hunks start mid-block and one begins with a dangling `else:`; the asserts are still seen
    before_asserts = nodes(cf.before.tree, ast.Assert)
    assert [(a.lineno, a.col_offset) for a in before_asserts] == [(17, 8)]
    assert [a.lineno for a in nodes(cf.after.tree, ast.Assert)] == [17]
    calls = {(c.lineno, ast.unparse(c)) for c in nodes(cf.before.tree, ast.Call)}
    assert (14, "self.assertEqual(self.calc.div(6, 3), 2)") in calls
    assert ast.get_source_segment(cf.before.text, before_asserts[0]) == "assert self.calc.div(1, 1) == 1"
    assert cf.after.lines[13].strip() == "pass"
    assert cs.errors == []


def test_whole_text_parses_when_the_hunks_allow_it() -> None:
    before = "def f():\n    return 1\n"
    cs = load_diff(unified(before, "def f():\n    return 2\n", "a/m.py", "b/m.py"))
    cf = by_path(cs)["m.py"]
    assert cf.after.partial and isinstance(cf.after.tree.body[0], ast.FunctionDef)
    assert cf.after.error is None


def test_unparseable_added_lines_are_reported() -> None:
    diff = "--- a/m.py\n+++ b/m.py\n@@ -10,1 +10,2 @@\n x = 1\n+def (:\n"
    cs = load_diff(diff)
    cf = by_path(cs)["m.py"]
    assert cf.added_lines == frozenset({11})
    assert any(e.path == "m.py" and "11" in e.message for e in cs.errors)


def test_new_and_deleted_files_are_whole() -> None:
    diff = (unified("", "import sys\nsys.exit(0)\n", "/dev/null", "b/conftest.py")
            + unified("def test_x():\n    assert 1\n", "", "a/tests/test_x.py", "/dev/null"))
    files = by_path(load_diff(diff))
    new = files["conftest.py"]
    assert new.status is Status.ADDED and new.role is FileRole.HARNESS
    assert new.after.text == "import sys\nsys.exit(0)\n" and not new.after.partial and new.added_lines is None
    gone = files["tests/test_x.py"]
    assert gone.status is Status.DELETED and gone.after is None and gone.before.tree is not None


@pytest.mark.parametrize("a,b,expected", [
    ("a/pkg/m.py", "b/pkg/m.py", "pkg/m.py"),
    ("pkg/m.py", "pkg/m.py", "pkg/m.py"),
    ("old/pkg/m.py", "new/pkg/m.py", "pkg/m.py"),
    ("pkg/m.py.orig", "pkg/m.py", "pkg/m.py"),
])
def test_plain_diff_path_prefixes(a: str, b: str, expected: str) -> None:
    cs = load_diff(unified("x = 1\n", "x = 2\n", a, b))
    assert [f.path for f in cs.files] == [expected]
    assert cs.files[0].old_path is None


def test_plain_diff_u_with_timestamps_and_several_files() -> None:
    diff = (
        "diff -u old/a.py new/a.py\n"
        "--- old/a.py\t2024-01-01 10:00:00.000000000 +0000\n"
        "+++ new/a.py\t2024-01-02 10:00:00.000000000 +0000\n"
        "@@ -1 +1 @@\n-a = 1\n+a = 2\n"
        "diff -u old/b.py new/b.py\n"
        "--- old/b.py\t2024-01-01 10:00:00.000000000 +0000\n"
        "+++ new/b.py\t2024-01-02 10:00:00.000000000 +0000\n"
        "@@ -1,2 +1,2 @@\n--- looks like a header\n+b = 2\n c = 3\n"
    )
    cs = load_diff(diff)
    assert [f.path for f in cs.files] == ["a.py", "b.py"]
    assert cs.files[1].before.text.splitlines()[0] == "-- looks like a header"
    assert cs.errors == []


def test_git_features_rename_mode_quoted_no_newline(tmp_path: Path) -> None:
    r = tmp_path / "r"
    r.mkdir()
    git(r, "init", "-q")
    (r / "old_name.py").write_text("".join(f"line_{i} = {i}\n" for i in range(20)))
    (r / "tool.py").write_text("print('hi')\n")
    (r / "same.py").write_text("A = 1\n")
    (r / "\u00e9t\u00e9.py").write_text("X = 1\n")
    (r / "tail.py").write_text("x = 1")
    git(r, "add", ".")
    git(r, "commit", "-qm", "base")
    git(r, "mv", "old_name.py", "new_name.py")
    (r / "new_name.py").write_text("".join(f"line_{i} = {i}\n" for i in range(20)) + "EXTRA = 1\n")
    git(r, "mv", "same.py", "moved.py")
    (r / "tool.py").chmod(0o755)
    (r / "\u00e9t\u00e9.py").write_text("X = 2\n")
    (r / "tail.py").write_text("x = 2")
    git(r, "add", "-A")
    diff = git(r, "-c", "core.quotePath=true", "diff", "--cached", "-M", "HEAD")
    assert '"a/\\303\\251t\\303\\251.py"' in diff and "\\ No newline at end of file" in diff
    cs = load_diff(diff)
    files = by_path(cs)
    assert files["new_name.py"].status is Status.RENAMED and files["new_name.py"].old_path == "old_name.py"
    assert files["new_name.py"].added_lines == frozenset({21})
    assert files["moved.py"].status is Status.RENAMED and files["moved.py"].old_path == "same.py"
    assert "tool.py" not in files  # a mode change alone changes no content
    assert files["\u00e9t\u00e9.py"].after.text == "X = 2\n"
    assert files["tail.py"].after.text == "x = 2" and files["tail.py"].before.text == "x = 1"
    assert cs.errors == []
    # and with the repository, whole files
    full = by_path(load_diff(diff, repo=r))
    assert full["new_name.py"].before.text == "".join(f"line_{i} = {i}\n" for i in range(20))
    assert not full["new_name.py"].after.partial


def test_binary_patches_keep_their_paths(tmp_path: Path) -> None:
    diff = (
        "diff --git a/tests/__pycache__/test_x.cpython-311.pyc b/tests/__pycache__/test_x.cpython-311.pyc\n"
        "new file mode 100644\nindex 0000000..1234567\n"
        "Binary files /dev/null and b/tests/__pycache__/test_x.cpython-311.pyc differ\n"
        "diff --git a/data.bin b/data.bin\nindex 1111111..2222222 100644\nGIT binary patch\nliteral 3\n"
        "KcmZ?wWME_f00RI3\n\nliteral 0\nHcmV?d00001\n\n"
        "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    )
    cs = load_diff(diff)
    files = by_path(cs)
    pyc = files["tests/__pycache__/test_x.cpython-311.pyc"]
    assert pyc.binary and pyc.status is Status.ADDED and pyc.role is FileRole.TEST
    assert files["data.bin"].binary and files["data.bin"].status is Status.MODIFIED
    assert files["m.py"].after.text.strip() == "x = 2"
    assert sum("binary" in e.message for e in cs.errors) == 2


def test_empty_and_whitespace_diffs_are_empty_changesets() -> None:
    for text in ("", "\n\n", b""):
        cs = load_diff(text)
        assert cs.files == [] and cs.errors == []


def test_text_without_any_diff_fails_clearly() -> None:
    with pytest.raises(InputFailure, match="not a readable unified diff"):
        load_diff("hello, this is not a patch\n")


def test_broken_section_is_reported_and_the_rest_kept() -> None:
    good = unified("x = 1\n", "x = 2\n", "a/good.py", "b/good.py")
    broken = "diff --git a/bad.py b/bad.py\n--- a/bad.py\n+++ b/bad.py\n@@ -1,5 +1,5 @@\n-x\n+y\n"
    cs = load_diff(broken + "diff --git a/good.py b/good.py\n" + good)
    assert [f.path for f in cs.files] == ["good.py"]
    assert [e.path for e in cs.errors] == ["bad.py"] and cs.errors[0].line == 1
    with pytest.raises(InputFailure):
        load_diff(broken)


def test_crlf_diff_and_invalid_utf8_bytes() -> None:
    crlf = unified("a = 1\n", "a = 2\n", "a/c.py", "b/c.py").replace("\n", "\r\n")
    assert by_path(load_diff(crlf))["c.py"].after.text.strip() == "a = 2"
    raw = b"--- /dev/null\n+++ b/latin.py\n@@ -0,0 +1,2 @@\n+# caf\xe9\n+X = 1\n"
    cs = load_diff(raw)
    assert by_path(cs)["latin.py"].after.tree is not None
    assert any(e.path == "latin.py" and "UTF-8" in e.message for e in cs.errors)


def test_repo_rebuilds_before_and_falls_back_when_tree_differs(tmp_path: Path) -> None:
    r = tmp_path / "r"
    (r / "tests").mkdir(parents=True)
    after = TEST_BEFORE.replace("self.assertEqual(self.calc.add(-1, 1), 0)", "pass")
    (r / "tests/test_calc.py").write_text(after)
    (r / "tests/test_util.py").write_text("def test_u():\n    assert 2 == 2\n")
    (r / "stale.py").write_text("y = 0\n")
    diff = (unified(TEST_BEFORE, after, "a/tests/test_calc.py", "b/tests/test_calc.py")
            + unified("y = 1\n", "y = 2\n", "a/stale.py", "b/stale.py")
            + unified("z = 1\n", "z = 2\n", "a/absent.py", "b/absent.py"))
    cs = load_diff(diff, repo=r)
    files = by_path(cs)
    calc = files["tests/test_calc.py"]
    assert calc.before.text == TEST_BEFORE and calc.after.text == after and not calc.after.partial
    assert calc.added_lines == frozenset({10})
    assert files["stale.py"].after.partial and files["absent.py"].after.partial
    messages = {e.path: e.message for e in cs.errors}
    assert "does not match" in messages["stale.py"] and "not found" in messages["absent.py"]
    ctx = [f.path for f in cs.context_files()]
    assert ctx == ["tests/test_util.py"]
    with pytest.raises(InputFailure):
        load_diff(diff, repo=tmp_path / "nowhere")


def test_repo_mode_never_reads_outside_the_repository(tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'x'\n")
    r = tmp_path / "r"
    (r / "pkg").mkdir(parents=True)
    (r / "link").symlink_to(tmp_path)
    (r / "pkg/alias.py").symlink_to(secret)
    diff = "".join(unified("TOKEN = 'y'\n", "TOKEN = 'x'\n", f"a/{p}", f"b/{p}")
                   for p in ("../secret.py", "link/secret.py", "pkg/alias.py"))
    cs = load_diff(diff, repo=r)
    # every file falls back to its hunks: two paths leave the repository, and the symlink reads
    # as what git stores (its target's name), which does not match the diff
    assert len(cs.files) == 3 and all(f.after.partial for f in cs.files)
    messages = sorted(e.message for e in cs.errors)
    assert sum("leaves the repository" in m for m in messages) == 2
    assert sum("does not match" in m for m in messages) == 1


def test_plain_diff_moves_are_paired_like_renames() -> None:
    body = "".join(f"def f{i}():\n    return {i}\n" for i in range(10))
    diff = (unified(body, "", "old/requests/api.py", "/dev/null")
            + unified("", body + "X = 1\n", "/dev/null", "new/src/requests/api.py")
            + unified("", "import os\n", "/dev/null", "new/src/requests/extra.py"))
    files = by_path(load_diff(diff))
    assert set(files) == {"new/src/requests/api.py", "new/src/requests/extra.py"}
    moved = files["new/src/requests/api.py"]
    assert moved.status is Status.RENAMED and moved.old_path == "old/requests/api.py"
    assert moved.added_lines == frozenset({21})
    assert files["new/src/requests/extra.py"].status is Status.ADDED
