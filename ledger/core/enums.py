"""Enumerations of SPEC names, each with a Chinese title for pages and documents."""
from __future__ import annotations

from enum import Enum


class TitledEnum(str, Enum):
    """A string enum whose members carry a display title."""

    def __new__(cls, value: str, title: str = ""):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.title = title or value
        return obj

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]


class Role(TitledEnum):
    secretary = "secretary", "支部书记"
    owner = "owner", "责任人"
    supervisor = "supervisor", "督导组"
    admin = "admin", "管理员"


class ItemStatus(TitledEnum):
    pending = "pending", "待认领"
    claimed = "claimed", "已认领"
    in_progress = "in_progress", "整改中"
    awaiting_verification = "awaiting_verification", "待销号"
    closed = "closed", "已销号"
    cancelled = "cancelled", "已撤销"


OPEN_STATUSES = frozenset({ItemStatus.pending, ItemStatus.claimed, ItemStatus.in_progress,
                           ItemStatus.awaiting_verification})


class ItemKind(TitledEnum):
    immediate = "immediate", "立行立改"
    time_limited = "time_limited", "限期整改"
    long_term = "long_term", "长期坚持"


class ItemScope(TitledEnum):
    individual = "individual", "个性"
    common = "common", "共性"


class Urgency(TitledEnum):
    normal = "normal", "一般"
    urgent = "urgent", "急办"
    critical = "critical", "特急"


class CancelReason(TitledEnum):
    duplicate = "duplicate", "重复"
    not_responsible = "not_responsible", "非本单位职责"
    invalid = "invalid", "无效"
    other = "other", "其他"


class Channel(TitledEnum):
    meeting = "meeting", "评议会"
    symposium = "symposium", "座谈会"
    questionnaire = "questionnaire", "问卷"
    suggestion_box = "suggestion_box", "意见箱"
    hotline = "hotline", "热线"
    interview = "interview", "个别访谈"
    online = "online", "网络"
    letter = "letter", "来信"
    objection = "objection", "公示异议"
    inspection = "inspection", "巡察"
    audit = "audit", "审计"
    assigned = "assigned", "上级交办"
    other = "other", "其他"


class OpinionKind(TitledEnum):
    problem = "problem", "问题"
    suggestion = "suggestion", "建议"


class OpinionStatus(TitledEnum):
    new = "new", "待梳理"
    accepted = "accepted", "已采纳"
    answered = "answered", "已答复"
    rejected = "rejected", "不予采纳"


class ReviewMethod(TitledEnum):
    meeting = "meeting", "评议会"
    symposium = "symposium", "座谈会"
    questionnaire = "questionnaire", "问卷"
    suggestion_box = "suggestion_box", "意见箱"
    hotline = "hotline", "热线"
    interview = "interview", "个别访谈"
    online = "online", "网络"


class AttachmentKind(TitledEnum):
    photo = "photo", "照片"
    policy = "policy", "制度文件"
    contract = "contract", "合同/凭证"
    minutes = "minutes", "会议记录"
    other = "other", "其他"


class ExtensionStatus(TitledEnum):
    pending = "pending", "待审批"
    approved = "approved", "已批准"
    rejected = "rejected", "未批准"


class MessageStatus(TitledEnum):
    pending = "pending", "待发送"
    sent = "sent", "已发送"
    logged = "logged", "已记录（未配置邮件）"
    failed = "failed", "发送失败"
    manual = "manual", "需人工送达"


class OrgKind(TitledEnum):
    committee = "committee", "党委"
    general_branch = "general_branch", "党总支"
    branch = "branch", "党支部"
    agency = "agency", "机关"
    department = "department", "科室"
    other = "other", "其他"
