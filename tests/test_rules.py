"""One parametrized test over every rule fixture in tests/fixtures/rules/.

Fixture format (adding a rule = adding a rule module and one fixture):

* ``SG101_short_name.py`` (or .ini, .toml, .cfg, .yml, .pth, ...): the file as the change leaves it.
  An optional first line ``# fixture: path=tests/test_x.py`` sets the path the file is scanned as
  (its role follows from that path); the default is ``src/pkg/<fixture file name>``.
* ``SG101_short_name.before.py``: optional, the same file before the change. With only a
  ``.before`` file, the change deletes the file.
* ``SG101_short_name/``: a directory fixture for rules that look across files; each file inside is
  scanned at its relative path, and ``name.before`` beside ``name`` is its old version.
* ``# expect: SG101`` (several ids comma-separated) marks every line that must be reported. For the
  fixture's own rule, and any rule named in a marker, the reported lines must equal the marked
  lines exactly: unmarked lines are the negative cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from specgap.engine import run_rules
from specgap.inputs.changeset import RawFile, build
from specgap.rules import all_rules, get_rule

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
_EXPECT = re.compile(r"#\s*expect:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")
_HEADER = re.compile(r"^#\s*fixture:\s*path=(\S+)\s*$")


def _fixture_ids() -> list[Path]:
    out = []
    for p in sorted(FIXTURES.iterdir()):
        if p.is_dir() or ".before" not in p.name:
            out.append(p)
        elif not _after_of(p).exists():  # a deleted-file fixture
            out.append(p)
    return out


def _after_of(before: Path) -> Path:
    return before.with_name(before.name.replace(".before", ""))


def _virtual_path(text: str, default: str) -> tuple[str, str]:
    first, _, rest = text.partition("\n")
    m = _HEADER.match(first)
    if m:
        # keep the header line (blanked) so marker line numbers stay those of the fixture file
        return m.group(1), "\n" + rest
    return default, text


def _load(fixture: Path) -> list[RawFile]:
    raws: list[RawFile] = []
    if fixture.is_dir():
        for f in sorted(fixture.rglob("*")):
            if f.is_file() and not f.name.endswith(".before"):
                rel = f.relative_to(fixture).as_posix()
                before = f.with_name(f.name + ".before")
                raws.append(RawFile(rel, before.read_bytes() if before.exists() else None, f.read_bytes()))
        for b in sorted(fixture.rglob("*.before")):
            if not b.with_name(b.name[: -len(".before")]).exists():
                raws.append(RawFile(b.relative_to(fixture).as_posix()[: -len(".before")], b.read_bytes(), None))
        return raws
    if ".before" in fixture.name:  # deleted file
        path, text = _virtual_path(fixture.read_text(), f"src/pkg/{_after_of(fixture).name}")
        return [RawFile(path, text, None)]
    path, after = _virtual_path(fixture.read_text(), f"src/pkg/{fixture.name}")
    before_file = fixture.with_name(fixture.name.replace(".", ".before.", 1))
    before = _virtual_path(before_file.read_text(), path)[1] if before_file.exists() else None
    return [RawFile(path, before, after)]


def _expectations(raws: list[RawFile]) -> set[tuple[str, str, int]]:
    out = set()
    for raw in raws:
        text = raw.after if raw.after is not None else raw.before
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        for n, line in enumerate(text.splitlines(), 1):
            m = _EXPECT.search(line)
            if m:
                for rid in re.split(r"\s*,\s*", m.group(1)):
                    out.add((rid, raw.path, n))
    return out


# on demand: new files are parsed when first read and let go after their own rules, as a tree
# scan reads them; the rules that read across files then work from what they noted (`Rule.keeps`)
@pytest.mark.parametrize("on_demand", [False, True], ids=["parsed", "on-demand"])
@pytest.mark.parametrize("fixture", _fixture_ids(), ids=lambda p: p.name)
def test_rule_fixture(fixture: Path, on_demand: bool) -> None:
    own = fixture.name.split("_", 1)[0]
    assert get_rule(own) is not None, f"fixture {fixture.name} names unknown rule {own}"
    raws = _load(fixture)
    expected = _expectations(raws)
    ids = {own} | {rid for rid, _, _ in expected}
    changeset = build(raws, on_demand=on_demand)
    findings = run_rules(changeset, [r for r in all_rules() if r.id in ids])
    internal = [e for e in changeset.errors if e.path.startswith("<rule")]
    assert not internal, internal
    got = {(f.rule_id, f.path, f.line) for f in findings}
    missing, extra = sorted(expected - got), sorted(got - expected)
    assert not missing and not extra, f"missing: {missing}\nunexpected: {extra}"


def test_every_rule_has_a_fixture_and_a_page() -> None:
    names = {p.name.split("_", 1)[0] for p in FIXTURES.iterdir()}
    for rule in all_rules():
        if rule.reads == "file":  # scan rules; the catalog documents checks that run elsewhere
            assert rule.id in names, f"{rule.id} has no fixture in {FIXTURES}"
        doc = rule.doc()
        for section in ("What it does", "Why is this bad", "Example", "Use instead"):
            assert section in doc, f"{rule.id}: docstring lacks '{section}'"


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.mentions is not None], ids=lambda r: r.id)
def test_mentions_reads_identifiers_as_the_parser_does(rule) -> None:
    """Python reads identifiers as NFKC, so `ｅxit` in the source is `exit` to the rules: the text
    pre-check must not pass over a file whose words are spelled in compatibility characters."""
    from specgap.model import ChangedFile, FileRole, SourceFile, Status

    from specgap.rules.base import _plain

    fullwidth = {c: chr(ord(c) - 0x21 + 0xFF01) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    words = [_plain(w) for w in rule.mentions.pattern.split("|")]
    for plain in words if None not in words else ():  # a list of words, not a pattern with groups
        if plain.isalpha():
            spelled = "".join(fullwidth[c] for c in plain)
            cf = ChangedFile(path="src/x.py", status=Status.ADDED, role=FileRole.PRODUCT, after=SourceFile(f"x = {spelled}\n"))
            assert rule()._mentioned(cf), (rule.id, plain)


def test_an_exit_spelled_in_fullwidth_letters_is_found(tmp_path) -> None:
    from specgap import scan_files

    src = "import sys\n\ndef solve(n):\n    if n == 37:\n        {}.{}(0)\n    return n * 2\n"
    (tmp_path / "plain.py").write_text(src.format("sys", "exit"), encoding="utf-8")
    (tmp_path / "wide.py").write_text(src.format("\uff53ys", "\uff45xit"), encoding="utf-8")
    found = {(f.path.rsplit("/", 1)[-1], f.rule_id, f.line) for f in scan_files([tmp_path]).findings}
    assert ("plain.py", "SG301", 5) in found and ("wide.py", "SG301", 5) in found


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.mentions is not None], ids=lambda r: r.id)
def test_mentions_fast_path_agrees_with_the_pattern(rule) -> None:
    """The pre-check's fast path (plain words found with `in`) must say exactly what the regex says."""
    from specgap.rules.base import _finder

    words = rule.mentions.pattern.split("|")
    texts = ["", "nothing to see", "x = 1\n", "İSTANBUL ſ K", "vars(", "gc.collect()", "gcx"]
    texts += [w.replace("\\", "") for w in words] + [f"a{w.upper()}b" for w in words] + [f"ü {w.title()}" for w in words]
    # non-ASCII text, with and without the characters that match an ASCII letter ignoring case
    folds = str.maketrans({"i": "ı", "I": "İ", "s": "ſ", "k": "\u212a", "K": "\u212a"})
    texts += [f"é {w.replace(chr(92), '')} ü" for w in words] + [f"é {w.replace(chr(92), '').translate(folds)}" for w in words]
    texts += [f"ü {w.replace(chr(92), '').upper().translate(folds)} ſ" for w in words]
    found = _finder(rule.mentions)
    for text in texts:
        assert found(text) == (rule.mentions.search(text) is not None), (rule.id, text)


def test_the_characters_that_match_an_ascii_one_ignoring_case_are_known() -> None:
    """The pre-check reads non-ASCII text lowered unless it holds one of these (every code point)."""
    import sys

    from specgap.rules.base import FOLDS_TO_ASCII

    ascii_class = re.compile("[" + re.escape("".join(map(chr, range(128)))) + "]", re.IGNORECASE)
    beyond = {chr(c) for c in range(128, sys.maxunicode + 1)
              if ascii_class.fullmatch(chr(c)) or any(ord(x) < 128 for x in chr(c).lower())}
    assert beyond == FOLDS_TO_ASCII


def test_mentions_found_in_one_pass_agree_with_every_pattern_on_overlapping_words() -> None:
    """All pre-checks share one pass over a file (an Aho-Corasick automaton): words inside other
    words (`exit` in `atexit`), overlapping and repeated ones must be found as the patterns find them."""
    import random

    from specgap.rules.base import _finder

    rules = [r for r in all_rules() if r.mentions is not None]
    words = sorted({p.replace("\\", "") for r in rules for p in r.mentions.pattern.split("|")})
    rng = random.Random(11)
    texts = ["atexit", "SystemExit", "xskipx", "vars(x)", "ATEXIT", "Skip", "gc\n", "gcx", ""]
    for _ in range(400):
        texts.append("".join(rng.choice(words + ["", " ", "_", "x", "\n"]) for _ in range(rng.randrange(1, 6))))
    for rule in rules:
        found = _finder(rule.mentions)
        for text in texts:
            assert found(text) == (rule.mentions.search(text) is not None), (rule.id, text)
