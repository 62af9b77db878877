"""Cell parsing and escaping, header recognition, file-type detection (no database)."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from ledger.core.errors import Invalid
from ledger.spreadsheets import values
from ledger.spreadsheets.headers import OPINION_HEADERS, match_headers, normalise
from ledger.spreadsheets.reading import CSV, XLSX, column_letter, detect, read_table
from tests.spreadsheets.sheets import csv_bytes, xlsx


@pytest.mark.parametrize("raw, expected", [
    ("2026-03-15", date(2026, 3, 15)), ("2026/3/5", date(2026, 3, 5)), ("2026.03.05", date(2026, 3, 5)),
    ("2026年3月5日", date(2026, 3, 5)), ("20260305", date(2026, 3, 5)), ("2026-03-05 10:30", date(2026, 3, 5)),
    (datetime(2026, 3, 5, 0, 0), date(2026, 3, 5)), (date(2026, 3, 5), date(2026, 3, 5)), ("", None), (None, None)])
def test_dates(raw, expected):
    assert values.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-01", "昨天", "3/5/2026", "2026-3"])
def test_impossible_dates(raw):
    with pytest.raises(ValueError):
        values.parse_date(raw)


def test_channels_by_name_title_or_alias():
    assert values.parse_channel("热线") == values.parse_channel("hotline") == values.parse_channel(" 12345 ")
    assert values.parse_channel("上级交办") == "assigned" and values.parse_channel("巡察") == "inspection"
    assert values.parse_channel("Meeting") == "meeting" and values.parse_channel("飞鸽") is None


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_escape_makes_formulas_text_and_unescape_undoes_it(text):
    escaped = values.escape(text)
    assert escaped.startswith("'") and not escaped.startswith(values.DANGEROUS_STARTS)
    if text[0] in "=+-@":
        assert values.unescape(escaped) == text
    assert values.escape(5) == 5 and values.escape("普通") == "普通"


def test_numbers_read_as_text_keep_their_digits():
    assert values.text(13800000000.0) == "13800000000" and values.text(" a\r\nb ") == "a\nb"
    assert values.parse_percent("60%") == 60 and values.parse_percent(0.6) == 60 and values.parse_percent(100) == 100


def test_headers_in_chinese_or_english_with_marks():
    assert normalise(" 意见内容*（必填）") == "意见内容" and normalise("Content") == "content"
    mapping, unknown = match_headers(["序号", "问题描述", "来源", "姓名", "电话", "日期", "心情"], OPINION_HEADERS)
    assert set(mapping.values()) == {"content", "channel", "submitter_name", "submitter_contact", "received_on"}
    assert unknown == [(6, "心情")]


def test_detection_by_content_and_encodings():
    assert detect(b"PK\x03\x04...") == XLSX and detect("内容,渠道".encode("gb18030")) == CSV
    for data in (b"", b"  \r\n", b"\x89PNG\r\n\x1a\n\x00\x00", b"<html>", b"%PDF-1.7"):
        with pytest.raises(Invalid):
            detect(data)
    rows = [["内容", "渠道"], ["中文，带逗号", "热线"]]
    for data in (csv_bytes(rows), csv_bytes(rows, bom=True), csv_bytes(rows, encoding="gb18030")):
        table = read_table(io.BytesIO(data), max_rows=10)
        assert table.rows[1] == (2, ["中文，带逗号", "热线"])
    assert read_table(io.BytesIO(xlsx([["a"], [None], ["b"]])), max_rows=10).rows == [(1, ["a"]), (3, ["b"])]
    assert [column_letter(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]
