"""One notice as an official document (GB/T 9704 parts): 版头, 发文字号, 标题, 主送, 正文 blocks, 落款,
成文日期. The HTML page, the DOCX and the PDF all render this same structure, so they say the same thing."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from ledger.notices.masking import clean_text
from ledger.notices.models import Notice, NoticeStatus
from ledger.notices.services import cn_date


@dataclass
class Block:
    kind: str  # "h1" (黑体: 一、), "h2" (楷体: （一）), "p" (仿宋 body), "table"
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # relative column widths


@dataclass
class OfficialDocument:
    issuer: str
    number: str
    title: str
    addressee: str
    blocks: list[Block]
    signature: str
    date_text: str
    draft: bool
    status_note: str = ""

    @property
    def title_lines(self) -> list[str]:
        """The title as the DOCX and PDF break it (二号 on the 156 mm 版心: 19.5 characters a line)."""
        return balanced_lines(self.title, 19.5)

    def plain_text(self) -> str:
        """Everything the document says, line by line (used by tests and for search)."""
        lines = [self.issuer, self.number, self.title, self.addressee]
        for block in self.blocks:
            if block.kind == "table":
                lines += ["\t".join(block.header)] + ["\t".join(r) for r in block.rows]
            else:
                lines.append(block.text)
        return "\n".join(line for line in lines + [self.signature, self.date_text] if line)


def text_width(text: str) -> float:
    """Width in full-width characters: CJK and full-width punctuation 1, ASCII ½."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


_UNITS = re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}年|[0-9A-Za-z.%]+[年月日号项]?|〔\d+〕\d*号?|.")
_GOOD_END = "的日于至和及与、"  # a line reads well when it ends after one of these


def balanced_lines(text: str, capacity: float) -> list[str]:
    """A title broken into lines of even length (GB/T 9704: 排列对称, 长短适宜), each within ``capacity``;
    a date never parts (11月23日), a line never starts with punctuation, breaks after 的/日/至 preferred."""
    if text_width(text) <= capacity:
        return [text]
    units = _UNITS.findall(text)
    lines: list[str] = []
    while text_width("".join(units)) > capacity:
        rest = text_width("".join(units))
        count = -int(-rest // capacity)
        best, best_score = 1, None
        for i in range(1, len(units)):
            head = "".join(units[:i])
            if text_width(head) > capacity or units[i][0] in "，。、；：）》”〕":
                continue
            score = abs(text_width(head) - rest / count) + (0 if head[-1] in _GOOD_END else 1.5)
            if best_score is None or score < best_score:
                best, best_score = i, score
        lines.append("".join(units[:best]))
        units = units[best:]
    return lines + ["".join(units)]


def _pct(value: str | None) -> str:
    return f"{value}%" if value is not None else "—"


def _d(value: str | None) -> str:
    """A date in a table cell: 2026.11.03 (narrow columns)."""
    if not value:
        return "—"
    day = date.fromisoformat(value)
    return f"{day.year}.{day.month:02d}.{day.day:02d}"


def _progress(c: dict) -> list[Block]:
    t = c["totals"]
    blocks = [Block("h1", "一、总体情况"), Block("p", (
        f"截至{cn_date(c['as_of'])}，共有整改事项{t['total']}项，其中已销号{t['closed']}项，"
        f"待销号{t['awaiting_verification']}项，整改中{t['in_progress']}项，已认领{t['claimed']}项，"
        f"待认领{t['pending']}项；超期未完成{t['overdue']}项。整改完成率（已销号事项占已到期事项的比例）为"
        f"{_pct(t['completion_rate'])}。本期新增{t['new_in_period']}项，本期销号{t['closed_in_period']}项。"
        + (f"另有已撤销事项{t['cancelled']}项，不计入统计。" if t["cancelled"] else "")))]
    blocks.append(Block("h1", "二、各单位整改情况及排名"))
    if c["by_org"]:
        blocks.append(Block("table", header=["排名", "单位", "事项", "已销号", "待销号", "整改中", "未开始", "超期",
                                             "完成率"],
                            rows=[[str(r["rank"]), r["org_name"], str(r["total"]), str(r["closed"]),
                                   str(r["awaiting_verification"]), str(r["in_progress"]),
                                   str(r["pending"] + r["claimed"]), str(r["overdue"]), _pct(r["completion_rate"])]
                                  for r in c["by_org"]],
                            widths=[1.2, 4.2, 1.2, 1.4, 1.4, 1.4, 1.4, 1.2, 1.9]))
    else:
        blocks.append(Block("p", "本期暂无整改事项。"))
    blocks.append(Block("h1", "三、超期未完成事项"))
    if c["overdue"]:
        blocks.append(Block("table", header=["序号", "事项", "责任单位", "责任人", "完成时限", "超期天数"],
                            rows=[[str(n), f"{r['code']} {r['title']}" + ("（挂牌督办）" if r["flagged"] else ""),
                                   r["org_name"], r["owner"], _d(r["deadline"]), str(r["overdue_days"])]
                                  for n, r in enumerate(c["overdue"], start=1)],
                            widths=[1.2, 5.0, 2.6, 1.8, 2.4, 1.4]))
    else:
        blocks.append(Block("p", "本期无超期未完成事项。"))
    blocks += [Block("h1", "四、工作要求"), Block("p", (
        "各责任单位要对照本通报，压实整改责任，加快推进整改；超期事项的责任人须于3个工作日内说明原因、"
        "提出整改计划，确保问题真改实改、按期销号。"))]
    return blocks


def _sources(sources: list[dict]) -> str:
    """One line per opinion: channel and masked submitter (the masked contact on its own line)."""
    return "\n".join(f"{s['channel']}：{s['submitter']}".replace("，", "\n") for s in sources) or "—"


def _closure(c: dict, notice: Notice) -> list[Block]:
    blocks = [Block("h1", "一、销号事项"),
              Block("p", f"本期共销号整改事项{c['count']}项，其中首轮销号{c['first_round']}项，"
                         f"回炉整改后销号{c['reopened']}项。")]
    if c["items"]:
        blocks.append(Block("table", header=["序号", "整改事项", "问题来源", "整改完成情况", "销号日期"],
                            rows=[[str(n), f"{r['code']} {r['title']}",
                                   _sources(r["sources"]),
                                   r["completion_note"] or "—", _d(r["closed_on"])]
                                  for n, r in enumerate(c["items"], start=1)],
                            widths=[1.2, 4.0, 3.6, 4.2, 2.4]))
    blocks.append(Block("h1", "二、公示时间及异议方式"))
    objection = c.get("objection")
    if objection:
        contact = clean_text(objection.get("contact") or "")
        blocks.append(Block("p", (
            f"公示期为{objection['working_days']}个工作日，自{cn_date(objection['from'])}起至"
            f"{cn_date(objection['until'])}止。公示期间，对上述事项整改情况有异议的，可在公示栏本公示页面"
            f"在线提出" + (f"，或通过{contact}反映" if contact else "")
            + "。反映问题应实事求是、具体明确；留有联系方式的，我们将及时核实并反馈。")))
    else:
        days = notice.objection_days or 7
        blocks.append(Block("p", f"公示期为{days}个工作日，自发布之日的次日起计算（发布时确定具体日期）。"
                                 "公示期间，对上述事项整改情况有异议的，可在公示栏本公示页面在线提出。"))
    return blocks


def _review(c: dict) -> list[Block]:
    if not c["reviews"]:
        return [Block("p", "本期未开展群众评议活动。")]
    blocks = []
    numerals = "一二三四五六七八九十"
    for n, r in enumerate(c["reviews"]):
        label = numerals[n] if n < len(numerals) else str(n + 1)
        o = r["opinions"]
        blocks.append(Block("h2", f"（{label}）{r['title']}"))
        blocks.append(Block("p", (
            f"{cn_date(r['held_on'])}以{r['method']}方式开展，发放评议表{r['forms_issued']}份，收回"
            f"{r['forms_returned']}份，其中有效{r['forms_valid']}份，回收率{_pct(r['return_rate'])}。"
            f"收集意见建议{o['total']}条，其中已采纳并列入整改{o['accepted']}条，已答复说明{o['answered']}条，"
            f"不予采纳{o['rejected']}条，正在梳理{o['new']}条。")))
        if r["ratings"]:
            blocks.append(Block("table", header=["测评对象", "满意", "基本满意", "不满意", "有效票", "满意度"],
                                rows=[[x["target"], f"{x['satisfied']}（{_pct(x['satisfied_share'])}）",
                                       f"{x['basically_satisfied']}（{_pct(x['basically_satisfied_share'])}）",
                                       f"{x['unsatisfied']}（{_pct(x['unsatisfied_share'])}）", str(x["valid"]),
                                       _pct(x["satisfaction_rate"])] for x in r["ratings"]],
                                widths=[3.6, 2.2, 2.2, 2.2, 1.4, 1.8]))
    return blocks


def _overdue(c: dict) -> list[Block]:
    blocks = [Block("h1", "一、超期情况"),
              Block("p", f"截至{cn_date(c['as_of'])}，共有{c['count']}项整改事项超过完成时限仍未整改到位，"
                         f"其中挂牌督办{c['flagged']}项。")]
    if c["by_org"]:
        blocks.append(Block("table", header=["单位", "超期事项", "其中挂牌督办"],
                            rows=[[r["org_name"], str(r["overdue"]), str(r["flagged"])] for r in c["by_org"]],
                            widths=[6, 2, 2]))
    blocks.append(Block("h1", "二、超期事项清单"))
    if c["items"]:
        blocks.append(Block("table", header=["序号", "事项", "责任单位", "责任人", "完成时限", "超期天数", "催办"],
                            rows=[[str(n), f"{r['code']} {r['title']}" + ("（挂牌督办）" if r["flagged"] else ""),
                                   r["org_name"], r["owner"], _d(r["deadline"]), str(r["overdue_days"]),
                                   str(r["urges"])] for n, r in enumerate(c["items"], start=1)],
                            widths=[1.2, 4.6, 2.4, 1.8, 2.4, 1.4, 1.2]))
    else:
        blocks.append(Block("p", "无超期未完成事项。"))
    blocks += [Block("h1", "三、督办要求"), Block("p", (
        "请相关单位和责任人在收到本通报后3个工作日内书面说明超期原因，明确整改措施和完成时限；"
        "对仍未按期整改到位的，将按有关规定严肃追责问责。"))]
    return blocks


def build_document(notice: Notice) -> OfficialDocument:
    c = notice.content or {}
    issuer = clean_text(notice.org.name if notice.org else c.get("org", {}).get("name", ""))
    blocks: list[Block] = []
    if c.get("corrects"):
        corrected = c["corrects"]
        blocks.append(Block("p", f"本{notice.kind_title}更正{corrected['number']}《{clean_text(corrected['title'])}》，"
                                 "原文有关内容以本文为准。"))
    blocks.append(Block("p", clean_text(notice.intro)))
    kind = notice.kind
    if kind == "progress":
        blocks += _progress(c)
    elif kind == "closure":
        blocks += _closure(c, notice)
    elif kind == "review":
        blocks += _review(c)
    else:
        blocks += _overdue(c)
    draft = notice.status == NoticeStatus.draft.value
    issued = c.get("issued_on")
    status_note = ""
    if notice.status == NoticeStatus.withdrawn.value:
        day = notice.withdrawn_at.astimezone(ZoneInfo(notice.org.timezone)).date() if notice.withdrawn_at else None
        reason = clean_text(notice.withdrawn_reason)
        status_note = f"本{notice.kind_title}已于{cn_date(day) if day else ''}撤回：{reason}"
    return OfficialDocument(
        issuer=issuer, number=notice.number or "〔　〕　号（草稿）", title=clean_text(notice.title),
        addressee=f"{clean_text(notice.addressee)}：" if notice.addressee else "", blocks=blocks,
        signature=issuer, date_text=cn_date(issued) if issued else "（发布时填写）", draft=draft,
        status_note=status_note)
