"""Real spreadsheet files for the tests, made with openpyxl and the csv module."""
from __future__ import annotations

import csv
import io

import openpyxl

HEADERS = ["序号", "意见内容", "渠道", "类型", "类别", "提出人", "联系方式", "收到日期"]


def xlsx(rows: list[list], merged: list[str] = (), title_row: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title_row:
        sheet.append([title_row])
    for row in rows:
        sheet.append(row)
    for ref in merged:
        sheet.merge_cells(ref)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def read_xlsx(data: bytes) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [tuple(c for c in row) for row in workbook.active.iter_rows(values_only=True)]


def good_rows() -> list[list]:
    return [HEADERS,
            [1, "窗口中午无人值守", "评议会", "问题", "作风", "张三", "zhang@example.org", "2026-01-05"],
            [2, "建议设立错时服务", "热线", "建议", "服务", "", "13800000000", "2026/1/6"],
            [3, "审批材料重复提交", "online", "problem", "效能", "李四", "", None]]
