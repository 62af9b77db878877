"""What an import reports: every bad row by its number as the spreadsheet shows it, and why."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ledger.core.errors import Invalid


@dataclass
class RowError:
    row: int | None
    message: str
    column: str | None = None  # the letter, as the spreadsheet shows it
    header: str | None = None  # the header as written in the file
    field: str | None = None

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        if self.header or self.column:
            where += f"「{self.header or self.column + ' 列'}」"
        return f"{where}：{self.message}"


@dataclass
class Change:
    row: int
    code: str
    action: str
    field: str
    old: object
    new: object
    status: str = "pending"  # would_apply (dry run) | applied | refused
    message: str = ""


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0  # data rows read (blank rows are not counted)
    valid: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    opinion_ids: list[int] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        data = asdict(self)
        data["errors"] = [{**asdict(e), "text": str(e)} for e in self.errors]
        data["changes"] = [{**asdict(c), "old": _plain(c.old), "new": _plain(c.new)} for c in self.changes]
        data["ok"] = self.ok
        return data


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


class ImportRefused(Invalid):
    """A real import with bad rows: nothing was saved; the report says which rows and why."""

    def __init__(self, report: ImportReport):
        self.report = report
        count = len({e.row for e in report.errors})
        super().__init__({"file": f"{count} 行有误，未导入任何数据"},
                         f"有 {count} 行数据有误，未导入任何数据（请先修正，或先试运行查看全部错误）")
        self.details = {"fields": self.fields, "report": report.as_dict()}


class UnknownHeaders(Invalid):
    """The file's header row could not be matched to the fields (the web app then asks for a mapping)."""

    def __init__(self, message: str, headers: list[str], unknown: list[str], header_row: int):
        self.headers, self.unknown, self.header_row = headers, unknown, header_row
        super().__init__({"headers": message}, message)
        self.details = {"fields": self.fields, "headers": headers, "unrecognised": unknown,
                        "header_row": header_row}
