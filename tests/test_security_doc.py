"""docs/security.md stays true: every ASVS 5.0 level 1/2 row present, every test it names exists, counts right."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _checker():
    spec = importlib.util.spec_from_file_location("check_security_doc", ROOT / "scripts" / "check_security_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_security_document_is_true():
    problems = _checker().check()
    assert problems == [], "\n".join(problems)


def test_the_checker_finds_what_would_make_the_document_lie():
    checker = _checker()
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| 6.2.1 |"))
    # a test that does not exist, in a file that does and in one that does not
    for bogus in ("tests/api/test_auth.py::test_there_is_no_such_test", "tests/no_such_file.py::test_x"):
        problems = checker.check(text.replace(row, row.replace("tests/", bogus + " tests/", 1)))
        assert any(bogus in p for p in problems), problems
    # a row gone, a row twice, a wrong level, a met row with nothing to show
    assert any("no row for 6.2.1" in p for p in checker.check(text.replace(row + "\n", "")))
    assert any("6.2.1 again" in p for p in checker.check(text.replace(row, row + "\n" + row)))
    assert any("level 1, not 2" in p for p in checker.check(text.replace(row, row.replace("| L1 |", "| L2 |"))))
    bare = "| 6.2.1 | L1 | passwords at least 8 characters | met | argon2 |"
    assert any("names no test" in p for p in checker.check(text.replace(row, bare)))
    # counts that no longer match the rows
    changed = text.replace(row, row.replace("| met |", "| gap |"))
    assert any("counts line" in p for p in checker.check(changed))
    # the Gaps section's list no longer that of the rows
    untested = text.replace(row, row.replace("| met |", "| untested |"))
    assert any("untested list differs" in p and "6.2.1" in p for p in checker.check(untested))
