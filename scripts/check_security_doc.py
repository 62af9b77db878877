"""Check docs/security.md against the repository, so the ASVS table cannot rot.

- every OWASP ASVS 5.0.0 level 1 and level 2 requirement has exactly one row, with its level and a status
  (met, untested, gap, deploy, n/a);
- every ``tests/….py::name`` the document names exists (a test function or method of that name in that file);
- a ``met`` row names a test, or a section ``§Dn`` of the document that exists (documentation requirements);
- the counts line says what the rows say, and the Gaps section's lists of `untested` and `deploy` ids are
  those of the rows.

Run: ``.venv/bin/python scripts/check_security_doc.py`` (exit status 1 and one line per problem when wrong);
``--write-counts`` first rewrites the counts line from the rows; ``--committed`` reads the test files as
committed (``git show HEAD:…``) instead of the working tree, so a test not yet committed does not count;
``--list STATUS`` prints the rows of one status (id and what is said).
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
STATUSES = ("met", "untested", "gap", "deploy", "n/a")

# Every level 1 and level 2 requirement of ASVS 5.0.0 (tag v5.0.0_release of github.com/OWASP/ASVS,
# 5.0/en/0x10…0x26), as "id:level", read from the chapters' tables. 253 in all.
ASVS_L1_L2 = """
1.1.1:2 1.1.2:2 1.2.1:1 1.2.2:1 1.2.3:1 1.2.4:1 1.2.5:1 1.2.6:2 1.2.7:2 1.2.8:2 1.2.9:2 1.3.1:1 1.3.2:1
1.3.3:2 1.3.4:2 1.3.5:2 1.3.6:2 1.3.7:2 1.3.8:2 1.3.9:2 1.3.10:2 1.3.11:2 1.4.1:2 1.4.2:2 1.4.3:2 1.5.1:1
1.5.2:2
2.1.1:1 2.1.2:2 2.1.3:2 2.2.1:1 2.2.2:1 2.2.3:2 2.3.1:1 2.3.2:2 2.3.3:2 2.3.4:2 2.4.1:2
3.2.1:1 3.2.2:1 3.3.1:1 3.3.2:2 3.3.3:2 3.3.4:2 3.4.1:1 3.4.2:1 3.4.3:2 3.4.4:2 3.4.5:2 3.4.6:2 3.5.1:1
3.5.2:1 3.5.3:1 3.5.4:2 3.5.5:2 3.7.1:2 3.7.2:2
4.1.1:1 4.1.2:2 4.1.3:2 4.2.1:2 4.3.1:2 4.3.2:2 4.4.1:1 4.4.2:2 4.4.3:2 4.4.4:2
5.1.1:2 5.2.1:1 5.2.2:1 5.2.3:2 5.3.1:1 5.3.2:1 5.4.1:2 5.4.2:2 5.4.3:2
6.1.1:1 6.1.2:2 6.1.3:2 6.2.1:1 6.2.2:1 6.2.3:1 6.2.4:1 6.2.5:1 6.2.6:1 6.2.7:1 6.2.8:1 6.2.9:2 6.2.10:2
6.2.11:2 6.2.12:2 6.3.1:1 6.3.2:1 6.3.3:2 6.3.4:2 6.4.1:1 6.4.2:1 6.4.3:2 6.4.4:2 6.5.1:2 6.5.2:2 6.5.3:2
6.5.4:2 6.5.5:2 6.6.1:2 6.6.2:2 6.6.3:2 6.8.1:2 6.8.2:2 6.8.3:2 6.8.4:2
7.1.1:2 7.1.2:2 7.1.3:2 7.2.1:1 7.2.2:1 7.2.3:1 7.2.4:1 7.3.1:2 7.3.2:2 7.4.1:1 7.4.2:1 7.4.3:2 7.4.4:2
7.4.5:2 7.5.1:2 7.5.2:2 7.6.1:2 7.6.2:2
8.1.1:1 8.1.2:2 8.2.1:1 8.2.2:1 8.2.3:2 8.3.1:1 8.4.1:2
9.1.1:1 9.1.2:1 9.1.3:1 9.2.1:1 9.2.2:2 9.2.3:2 9.2.4:2
10.1.1:2 10.1.2:2 10.2.1:2 10.2.2:2 10.3.1:2 10.3.2:2 10.3.3:2 10.3.4:2 10.4.1:1 10.4.2:1 10.4.3:1
10.4.4:1 10.4.5:1 10.4.6:2 10.4.7:2 10.4.8:2 10.4.9:2 10.4.10:2 10.4.11:2 10.5.1:2 10.5.2:2 10.5.3:2
10.5.4:2 10.5.5:2 10.6.1:2 10.6.2:2 10.7.1:2 10.7.2:2 10.7.3:2
11.1.1:2 11.1.2:2 11.2.1:2 11.2.2:2 11.2.3:2 11.3.1:1 11.3.2:1 11.3.3:2 11.4.1:1 11.4.2:2 11.4.3:2
11.4.4:2 11.5.1:2 11.6.1:2
12.1.1:1 12.1.2:2 12.1.3:2 12.2.1:1 12.2.2:1 12.3.1:2 12.3.2:2 12.3.3:2 12.3.4:2
13.1.1:2 13.2.1:2 13.2.2:2 13.2.3:2 13.2.4:2 13.2.5:2 13.3.1:2 13.3.2:2 13.4.1:1 13.4.2:2 13.4.3:2
13.4.4:2 13.4.5:2
14.1.1:2 14.1.2:2 14.2.1:1 14.2.2:2 14.2.3:2 14.2.4:2 14.3.1:1 14.3.2:2 14.3.3:2
15.1.1:1 15.1.2:2 15.1.3:2 15.2.1:1 15.2.2:2 15.2.3:2 15.3.1:1 15.3.2:2 15.3.3:2 15.3.4:2 15.3.5:2
15.3.6:2 15.3.7:2
16.1.1:2 16.2.1:2 16.2.2:2 16.2.3:2 16.2.4:2 16.2.5:2 16.3.1:2 16.3.2:2 16.3.3:2 16.3.4:2 16.4.1:2
16.4.2:2 16.4.3:2 16.5.1:2 16.5.2:2 16.5.3:2
17.1.1:2 17.2.1:2 17.2.2:2 17.2.3:2 17.2.4:2 17.3.1:2 17.3.2:2
"""

ROW = re.compile(r"^\|\s*(\d+\.\d+\.\d+)\s*\|\s*L(\d)\s*\|(.*)\|\s*(met|untested|gap|deploy|n/a)\s*\|(.*)\|\s*$")
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)(?:::(\w+))?")
SECTION_REF = re.compile(r"§(D\d+)\b")
SECTION_HEADING = re.compile(r"^#{2,4}\s+(D\d+)\b", re.M)
SUMMARY = {"untested": "Done but not shown by a test (`untested`):", "deploy": "Left to the deployment (`deploy`"}
ID_OR_RANGE = re.compile(r"(\d+\.\d+\.)(\d+)(?:–\1(\d+))?")
COUNTS = re.compile(r"applies (\d+): met (\d+), untested (\d+), gap (\d+), deploy (\d+); n/a (\d+)")


def expected() -> dict[str, int]:
    pairs = (item.split(":") for item in ASVS_L1_L2.split())
    return {ident: int(level) for ident, level in pairs}


def _source(root: Path, file: str, committed: bool) -> str | None:
    if not committed:
        path = root / file
        return path.read_text(encoding="utf-8") if path.is_file() else None
    shown = subprocess.run(["git", "show", f"HEAD:{file}"], cwd=root, capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def _test_names(source: str) -> set[str]:
    """``name`` and ``Class::method`` for every function a pytest file defines."""
    tree = ast.parse(source)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{f.name}" for f in node.body
                         if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef))
    return names


def check_references(text: str, root: Path = ROOT, committed: bool = False) -> list[str]:
    problems, cache = [], {}
    for match in TEST_REF.finditer(text):
        file, name = match.group(1), match.group(2) + (f"::{match.group(3)}" if match.group(3) else "")
        if file not in cache:
            source = _source(root, file, committed)
            cache[file] = _test_names(source) if source is not None else None
        if cache[file] is None:
            problems.append(f"{file}::{name}: no such file")
        elif name not in cache[file]:
            problems.append(f"{file}::{name}: no such test")
        elif not match.group(2).startswith(("test_", "Test")):
            problems.append(f"{file}::{name}: not a test")
    return problems


def check_rows(text: str) -> tuple[list[str], Counter]:
    problems, seen, counts = [], {}, Counter()
    sections = set(SECTION_HEADING.findall(text))
    for number, line in enumerate(text.splitlines(), 1):
        match = ROW.match(line)
        if not match:
            continue
        ident, level, status, evidence = match.group(1), int(match.group(2)), match.group(4), match.group(5)
        if ident in seen:
            problems.append(f"line {number}: {ident} again (first on line {seen[ident]})")
        seen[ident] = number
        counts[status] += 1
        if status == "met" and not (TEST_REF.search(evidence) or SECTION_REF.search(evidence)):
            problems.append(f"line {number}: {ident} is met but names no test and no section")
        for section in SECTION_REF.findall(evidence):
            if section not in sections:
                problems.append(f"line {number}: {ident} points at §{section}, which has no heading")
        if not evidence.strip():
            problems.append(f"line {number}: {ident} says nothing about why")
        want = expected().get(ident)
        if want is None:
            problems.append(f"line {number}: {ident} is not a level 1 or 2 requirement of ASVS 5.0.0")
        elif want != level:
            problems.append(f"line {number}: {ident} is level {want}, not {level}")
    missing = sorted(set(expected()) - set(seen), key=lambda i: tuple(map(int, i.split("."))))
    if missing:
        problems.append("no row for " + ", ".join(missing))
    return problems, counts


def check_counts(text: str, counts: Counter) -> list[str]:
    match = COUNTS.search(text)
    if not match:
        return ["no counts line (\"applies N: met N, untested N, gap N, deploy N; n/a N\")"]
    stated = dict(zip(("applies", *STATUSES), map(int, match.groups()), strict=True))
    actual = {**{s: counts[s] for s in STATUSES}, "applies": sum(counts[s] for s in STATUSES[:4])}
    if stated != actual:
        return [f"counts line says {stated}, the rows say {actual}"]
    return []


def check_summary(text: str) -> list[str]:
    """The Gaps section names exactly the rows of each status it lists."""
    problems = []
    for status, opening in SUMMARY.items():
        start = text.find(opening)
        if start < 0:
            problems.append(f"no paragraph opening {opening!r}")
            continue
        paragraph = text[start:].split("\n\n", 1)[0]
        named = set()
        for prefix, first, last in ID_OR_RANGE.findall(paragraph):
            named.update(f"{prefix}{n}" for n in range(int(first), int(last or first) + 1))
        rows = {line.split()[0] for line in rows_of(text, status)}
        if named != rows:
            problems.append(f"the Gaps section's {status} list differs from the rows: "
                            f"missing {sorted(rows - named)}, extra {sorted(named - rows)}")
    return problems


def check(text: str | None = None, root: Path = ROOT, committed: bool = False) -> list[str]:
    """Every problem with the document, as lines (empty when it is right)."""
    text = DOC.read_text(encoding="utf-8") if text is None else text
    row_problems, counts = check_rows(text)
    return (check_references(text, root, committed) + row_problems + check_counts(text, counts)
            + check_summary(text))


def write_counts() -> None:
    text = DOC.read_text(encoding="utf-8")
    _, counts = check_rows(text)
    applies = sum(counts[s] for s in STATUSES[:4])
    line = (f"applies {applies}: met {counts['met']}, untested {counts['untested']}, gap {counts['gap']}, "
            f"deploy {counts['deploy']}; n/a {counts['n/a']}")
    DOC.write_text(COUNTS.sub(line, text, count=1), encoding="utf-8")


def rows_of(text: str, status: str) -> list[str]:
    return [f"{m.group(1)} {m.group(5).strip()}" for m in map(ROW.match, text.splitlines())
            if m and m.group(4) == status]


def main(argv: list[str]) -> int:
    if "--list" in argv:
        print("\n".join(rows_of(DOC.read_text(encoding="utf-8"), argv[argv.index("--list") + 1])))
        return 0
    if "--write-counts" in argv:
        write_counts()
    problems = check(committed="--committed" in argv)
    for problem in problems:
        print(f"docs/security.md: {problem}", file=sys.stderr)
    if not problems:
        _, counts = check_rows(DOC.read_text(encoding="utf-8"))
        print("docs/security.md: ok —", ", ".join(f"{s} {counts[s]}" for s in STATUSES))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
