"""Header recognition: the common Chinese and English names for each column."""
from __future__ import annotations

import re

SKIP = "_skip"

OPINION_HEADERS: dict[str, tuple[str, ...]] = {
    "content": ("内容", "意见内容", "问题描述", "意见建议", "意见建议内容", "意见", "反映问题", "问题内容",
                "具体内容", "content", "opinion", "description", "text"),
    "channel": ("渠道", "来源", "意见来源", "问题来源", "收集渠道", "来源渠道", "征求渠道", "channel", "source"),
    "kind": ("类型", "意见类型", "性质", "kind", "type"),
    "category": ("类别", "问题类别", "分类", "问题分类", "所属类别", "category"),
    "submitter_name": ("提出人", "姓名", "反映人", "提出人姓名", "提出者", "submitter", "name", "submitter_name"),
    "submitter_contact": ("联系方式", "电话", "联系电话", "手机", "手机号", "邮箱", "contact", "phone", "email",
                          "submitter_contact"),
    "anonymous": ("匿名", "是否匿名", "anonymous"),
    "wants_updates": ("需要反馈进展", "是否需要反馈", "接收进展", "告知进展", "wants_updates"),
    "received_on": ("收到日期", "日期", "收集日期", "提出日期", "反映日期", "收到时间", "received_on", "date",
                    "received"),
    # Columns of our own opinions export (and common extras) that an import ignores.
    SKIP: ("序号", "编号", "意见编号", "no", "id", "#", "状态", "梳理结果", "去向", "事项编号", "整改事项",
           "事项状态", "答复", "答复内容", "反馈时间", "反馈日期", "评议活动", "备注", "所属组织", "组织",
           "status", "item", "reply", "feedback_at", "review", "note", "org"),
}

LEDGER_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("事项编号", "编号", "code"),
    "measures": ("整改措施", "措施", "measures"),
    "deadline": ("整改时限", "完成时限", "时限", "deadline"),
    "note": ("整改进展", "进展情况", "最新进展", "progress", "note"),
    "percent": ("进度", "进度%", "完成进度", "percent"),
    "reason": ("延期理由", "延期原因", "reason"),
}

FIELD_TITLES = {"content": "意见内容", "channel": "渠道", "kind": "类型", "category": "类别",
                "submitter_name": "提出人", "submitter_contact": "联系方式", "anonymous": "是否匿名",
                "wants_updates": "需要反馈进展", "received_on": "收到日期", SKIP: "（忽略此列）"}


def normalise(header) -> str:
    """Lower case, no spaces, no required-marks or trailing notes in brackets: "意见内容*（必填）" → "意见内容"."""
    raw = re.sub(r"\s+", "", str(header or "")).lower()
    raw = re.sub(r"[（(][^）)]*[）)]$", "", raw)
    return raw.strip("*＊:：")


def match_headers(cells: list, known: dict[str, tuple[str, ...]], overrides: dict[str, str] | None = None
                  ) -> tuple[dict[int, str], list[tuple[int, str]]]:
    """Columns → fields. Answers ``({column index: field}, [(column index, header) not recognised])``;
    ``overrides`` maps a header as written to a field (the web app's mapping step)."""
    lookup = {normalise(alias): field for field, aliases in known.items() for alias in aliases}
    overrides = {normalise(k): v for k, v in (overrides or {}).items()}
    mapping: dict[int, str] = {}
    unknown: list[tuple[int, str]] = []
    taken: set[str] = set()
    for index, cell in enumerate(cells):
        name = normalise(cell)
        if not name:
            continue
        field = overrides.get(name) or lookup.get(name)
        if field is None:
            unknown.append((index, str(cell).strip()))
        elif field != SKIP and field not in taken:
            mapping[index] = field
            taken.add(field)
    return mapping, unknown


def is_header_row(cells: list, known: dict[str, tuple[str, ...]], required: str) -> bool:
    mapping, _ = match_headers(cells, known)
    return required in mapping.values()
