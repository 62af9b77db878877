"""The downloadable import template (导入模板): the header row, drop-downs and a sheet of instructions."""
from __future__ import annotations

from typing import IO

from ledger.core.enums import Channel, OpinionKind

TEMPLATE_HEADERS = [("意见内容*", 50), ("渠道*", 12), ("类型", 8), ("类别", 10), ("提出人", 10),
                    ("联系方式", 18), ("是否匿名", 8), ("需要反馈进展", 10), ("收到日期", 12)]
INSTRUCTIONS = [
    ("意见内容*", "必填，不超过 5000 字。"),
    ("渠道*", "必填：" + "、".join(c.title for c in Channel) + "（也可填英文代码）。"),
    ("类型", "“问题”或“建议”，不填为“问题”。"),
    ("类别", "如：形式主义、官僚主义、享乐主义、奢靡之风、作风、服务、效能、廉洁、其他。"),
    ("提出人 / 联系方式", "可不填；填写联系方式（邮箱或电话）的，办结后将向其反馈。"),
    ("是否匿名", "“是”或“否”，不填为“否”；匿名意见不保存提出人姓名。"),
    ("需要反馈进展", "“是”则在采纳、认领、延期、回炉时告知提出人。"),
    ("收到日期", "如 2026-03-15，不能晚于今天；不填为导入当天。"),
    ("注意", "只读取第一个工作表；请勿使用公式或合并单元格；表头可用中文或英文常见名称。"),
]


def write_template(out: IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "意见建议"
    for index, (name, width) in enumerate(TEMPLATE_HEADERS, 1):
        cell = sheet.cell(row=1, column=index, value=name)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    channels = DataValidation(type="list", formula1='"' + ",".join(c.title for c in Channel) + '"',
                              allow_blank=True)
    kinds = DataValidation(type="list", formula1='"' + ",".join(k.title for k in OpinionKind) + '"',
                           allow_blank=True)
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    for validation, ref in ((channels, "B2:B5001"), (kinds, "C2:C5001"), (yes_no, "G2:H5001")):
        sheet.add_data_validation(validation)
        validation.add(ref)
    for row in range(2, 5002):
        sheet.cell(row=row, column=9).number_format = "yyyy-mm-dd"
    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 18, 90
    for row, (name, text) in enumerate(INSTRUCTIONS, 1):
        notes.cell(row=row, column=1, value=name).font = Font(bold=True)
        notes.cell(row=row, column=2, value=text).alignment = Alignment(wrap_text=True)
    workbook.save(out)
