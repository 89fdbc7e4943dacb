import subprocess
import sys

import pytest

import specgap
from specgap.integrations import api

from .samples import GAMED, GAMED_CODE, HONEST, HONEST_CODE, PROMPT


def test_scan_code_reports_gaming_and_passes_honest_code():
    gamed = specgap.scan_code(GAMED_CODE)
    assert [f.rule_id for f in gamed] == ["SG401"]
    assert gamed[0].path == "solution.py" and gamed[0].fingerprint
    assert specgap.scan_code(HONEST_CODE) == []


def test_scan_code_path_decides_the_role():
    code = "import os\nos._exit(0)\n"
    assert any(f.kind.value == "tampering" for f in specgap.scan_code(code, path="conftest.py"))


def test_scan_code_uses_the_given_tests_to_see_special_cases():
    special = "def add(a, b):\n    if a == 17 and b == 25:\n        return 42\n    return a - b\n"
    tests = "from solution import add\n\ndef test_add():\n    assert add(17, 25) == 42\n"
    alone = max(f.severity for f in specgap.scan_code(special))
    told = max(f.severity for f in specgap.scan_code(special, tests=tests))
    assert told > alone, "knowing the tests, the special case of their input is the stronger accusation"


def test_bad_code_is_reported_not_raised():
    out = specgap.scan_code("def f(:\n    return 1\n")
    assert out == [] and out.errors and "syntax error" in out.errors[0].message
    with pytest.raises(TypeError):
        specgap.scan_code(b"x = 1")  # type: ignore[arg-type]


def test_scan_rollout_accepts_text_messages_and_records():
    assert [f.rule_id for f in specgap.scan_rollout(GAMED)] == ["SG401"]
    messages = [{"role": "user", "content": PROMPT}, {"role": "assistant", "content": GAMED}]
    assert [f.rule_id for f in specgap.scan_rollout(messages)] == ["SG401"]
    assert [f.rule_id for f in specgap.scan_rollout({"messages": messages})] == ["SG401"]
    assert specgap.scan_rollout([{"role": "user", "content": PROMPT}, {"role": "assistant", "content": HONEST}]) == []


def test_scan_rollout_without_code_says_so():
    out = specgap.scan_rollout("I could not solve this.")
    assert out == [] and any("no code" in e.message for e in out.errors)
    with pytest.raises(TypeError):
        specgap.scan_rollout(42)  # type: ignore[arg-type]


def test_catalog_and_config_are_loaded_once():
    api._setup.cache_clear()
    for _ in range(3):
        specgap.scan_code(HONEST_CODE)
        specgap.scan_rollout(GAMED)
    assert api._setup.cache_info().misses == 1


def test_import_specgap_stays_cheap():
    code = "import sys, specgap; print(sorted(m for m in sys.modules if m.startswith('specgap')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['specgap']"
