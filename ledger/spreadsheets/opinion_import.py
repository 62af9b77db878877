"""Import opinions from a 征求意见汇总表: same validation as the API, all rows or none."""
from __future__ import annotations

from typing import BinaryIO

from ledger.auth.models import User
from ledger.auth.scope import require_org
from ledger.core import bounds, clock
from ledger.core.db import db
from ledger.core.errors import Invalid, NotFound
from ledger.opinions.services import create_opinion, validate_opinion
from ledger.orgs.categories import active_category_names
from ledger.orgs.models import Organisation
from ledger.reviews.models import Review
from ledger.spreadsheets import values
from ledger.spreadsheets.headers import FIELD_TITLES, OPINION_HEADERS, is_header_row, match_headers
from ledger.spreadsheets.reading import Table, column_letter, read_table, spool
from ledger.spreadsheets.report import ImportRefused, ImportReport, RowError, UnknownHeaders

HEADER_SEARCH = 10  # the header may sit under a title row or two


def _org(actor: User | None, org_id: int) -> Organisation:
    if actor is not None:
        return require_org(actor, org_id, roles=("secretary",))
    org = db.session.get(Organisation, org_id)  # the command line acts as the system
    if org is None:
        raise NotFound("组织不存在")
    return org


def find_header(table: Table, overrides: dict | None = None) -> int:
    """Index in ``table.rows`` of the header row: the first with an opinion-content column."""
    for index, (_, cells) in enumerate(table.rows[:HEADER_SEARCH]):
        mapping, _ = match_headers(cells, OPINION_HEADERS, overrides)
        if "content" in mapping.values() or is_header_row(cells, OPINION_HEADERS, "content"):
            return index
    return 0


def read_opinion_rows(source: BinaryIO, mapping: dict | None = None, default_channel: str | None = None
                      ) -> tuple[Table, int, dict[int, str], list[str]]:
    """The table, the header index and the column → field mapping; raises UnknownHeaders when the
    content (or the channel, without a default) column cannot be found."""
    with spool(source) as spooled:
        table = read_table(spooled, header_rows=1)
    header_index = find_header(table, mapping)
    header_number, header_cells = table.rows[header_index]
    columns, unknown = match_headers(header_cells, OPINION_HEADERS, mapping)
    headers = [values.text(c) for c in header_cells]
    missing = [f for f in ("content", "channel") if f not in columns.values()
               and not (f == "channel" and default_channel)]
    if missing:
        names = "、".join(f"“{FIELD_TITLES[f]}”" for f in missing)
        raise UnknownHeaders(f"第 {header_number} 行表头中找不到{names}列；请对应表头，或使用导入模板",
                             headers, [name for _, name in unknown], header_number)
    return table, header_index, columns, [name for _, name in unknown]


def import_opinions(actor: User | None, org_id: int, source: BinaryIO, *, dry_run: bool = False,
                    mapping: dict | None = None, review_id: int | None = None,
                    default_channel: str | None = None) -> ImportReport:
    """Check every row; with ``dry_run`` only report, else save all rows — or, if any row is bad, none."""
    org = _org(actor, org_id)
    if default_channel and values.parse_channel(default_channel) is None:
        raise Invalid({"channel": "默认渠道无效；可选：" + values.channel_choices()})
    default_channel = values.parse_channel(default_channel) if default_channel else None
    if review_id is not None:
        review = db.session.get(Review, review_id)
        if review is None or review.org_id != org.id:
            raise Invalid({"review_id": "评议活动不存在或不属于该组织"})
    table, header_index, columns, unknown = read_opinion_rows(source, mapping, default_channel)
    header_number, header_cells = table.rows[header_index]
    report = ImportReport(dry_run=dry_run, ignored_columns=unknown)
    today = clock.today(org.timezone)
    _cell_problems(table, header_number, header_cells, report)
    bad_rows = {e.row for e in report.errors}
    parsed = []
    categories = active_category_names()
    for number, cells in table.rows[header_index + 1:]:
        report.rows += 1
        data, problems = _row_data(cells, columns, default_channel)
        data.update(org_id=org.id, review_id=review_id)
        problems = {**validate_opinion(data, today, categories), **problems}
        for name, message in problems.items():
            index = next((i for i, f in columns.items() if f == name), None)
            report.errors.append(RowError(number, message, column_letter(index) if index is not None else None,
                                          values.text(header_cells[index]) if index is not None else None, name))
        if not problems and number not in bad_rows:
            report.valid += 1
            parsed.append(data)
    if report.rows == 0:
        raise Invalid({"file": "表头下面没有任何数据行"})
    report.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    if dry_run:
        return report
    if report.errors:
        raise ImportRefused(report)
    for data in parsed:
        report.opinion_ids.append(create_opinion(actor, data).id)
    report.created = len(report.opinion_ids)
    return report


def _cell_problems(table: Table, header_number: int, header_cells: list, report: ImportReport) -> None:
    """Formulas anywhere from the header down, and merged ranges that reach the data rows."""
    for problem in table.problems:
        if problem.row >= header_number:
            index = _column_index(problem.column)
            header = values.text(header_cells[index]) if index < len(header_cells) else None
            report.errors.append(RowError(problem.row, problem.message, problem.column, header or None))
    for first, last, ref in table.merged:
        if last > header_number:
            report.errors.append(RowError(max(first, header_number + 1),
                                          f"合并单元格 {ref}（第 {first}–{last} 行）：请取消合并，并在每一行填写完整"))


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _row_data(cells: list, columns: dict[int, str], default_channel: str | None) -> tuple[dict, dict]:
    """One row as the fields ``create_opinion`` takes, and the problems found while reading it."""
    raw = {field: (cells[i] if i < len(cells) else None) for i, field in columns.items()}
    data: dict = {}
    problems: dict[str, str] = {}
    for field in ("content", "category", "submitter_name", "submitter_contact"):
        text = values.text(raw.get(field))
        data[field] = text or None
        if len(text) > 20000:
            problems[field] = "内容过长"
        elif field != "content" and bounds.text_problem(text):  # one-line fields: no line break
            problems[field] = bounds.text_problem(text)
    data["content"] = data["content"] or ""
    channel_text = values.text(raw.get("channel"))
    if not channel_text:
        if default_channel:
            data["channel"] = default_channel
        else:
            problems["channel"] = "渠道不能为空；可填：" + values.channel_choices()
    else:
        data["channel"] = values.parse_channel(channel_text)
        if data["channel"] is None:
            problems["channel"] = f"渠道“{channel_text[:20]}”无法识别；可填：{values.channel_choices()}"
    kind = values.parse_kind(raw.get("kind"))
    data["kind"] = kind or "problem"
    if kind is None:
        problems["kind"] = f"类型“{values.text(raw.get('kind'))[:20]}”无法识别；请填“问题”或“建议”"
    for field in ("anonymous", "wants_updates"):
        flag = values.parse_bool(raw.get(field))
        data[field] = bool(flag)
        if flag is None:
            problems[field] = "请填“是”或“否”"
    try:
        data["received_on"] = values.parse_date(raw.get("received_on"))
    except ValueError as exc:
        data["received_on"] = None
        problems["received_on"] = f"日期“{str(exc)[:20]}”无效（格式如 2026-03-15，且须是真实存在的日期）"
    else:
        # too early here; too late ("later than today") is validate_opinion's to say
        problem = data["received_on"] and data["received_on"] < bounds.MIN_DATE and bounds.date_problem(
            data["received_on"])
        if problem:
            problems["received_on"] = problem
    return data, problems
