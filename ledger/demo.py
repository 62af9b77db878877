"""Demo data: an organisation tree, users for every role, opinions and items in every state.

Everything goes through the services, so the demo journal looks like real use."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ledger.auth.models import User
from ledger.auth.services import create_user
from ledger.core import clock
from ledger.core.db import db
from ledger.items.attachments import add_attachment
from ledger.items.services import apply_action, create_item
from ledger.opinions.services import create_opinion, triage
from ledger.orgs.services import create_org, ensure_default_categories

DEMO_PASSWORD = "Demo-2026!"
# A 1×1 PNG, as evidence.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def load_demo() -> list[tuple[str, str, str]]:
    """Create the demo once; returns the logins created (empty when already there)."""
    if db.session.scalar(select(User.id).where(User.username == "admin")):
        return []
    ensure_default_categories()
    county = create_org(None, "中共示范县委", "committee")
    agency = create_org(None, "县直机关党总支", "general_branch", county.id)
    branch1 = create_org(None, "县政务服务中心党支部", "branch", agency.id)
    branch2 = create_org(None, "县人社局党支部", "branch", agency.id)
    town = create_org(None, "城关镇党委", "committee", county.id)
    village = create_org(None, "东关村党支部", "branch", town.id)
    people = [
        ("admin", "系统管理员", None, None, "admin"),
        ("security", "安全管理员", None, None, "security_admin"),
        ("auditor", "审计管理员", None, None, "auditor"),
        ("supervisor", "县委督导组 王督导", county.id, "supervisor", None),
        ("secretary", "政务中心 李书记", branch1.id, "secretary", None),
        ("secretary2", "人社局 赵书记", branch2.id, "secretary", None),
        ("secretary3", "东关村 孙书记", village.id, "secretary", None),
        ("owner", "政务中心 张科长", branch1.id, "owner", None),
        ("owner2", "政务中心 陈主任", branch1.id, "owner", None),
        ("owner3", "人社局 刘科长", branch2.id, "owner", None),
    ]
    users = {}
    for username, name, org_id, role, system_role in people:
        memberships = [{"org_id": org_id, "role": role}] if role else []
        users[username] = create_user(None, username, DEMO_PASSWORD, name, f"{username}@example.org",
                                      memberships, is_admin=system_role == "admin",
                                      is_auditor=system_role == "auditor",
                                      is_security_admin=system_role == "security_admin")
    _items(users, branch1, branch2)
    _evaluation_and_notices(users, county, branch1)
    return [(u, DEMO_PASSWORD, role or system_role) for u, _, _, role, system_role in people]


OPINIONS = [
    ("meeting", "办事大厅窗口午休时间无人值守，群众要等到下午。", "服务", "王大爷", "13800138000"),
    ("questionnaire", "中午窗口关闭，上班族办事难。", "服务", "刘女士", "liu@example.org"),
    ("suggestion_box", "建议实行午间错时服务。", "效能", None, None),
    ("hotline", "社保卡补办要跑三次，材料要求说不清楚。", "效能", "赵先生", "zhao@example.org"),
    ("online", "部分工作人员态度生硬，办事群众反映不被尊重。", "作风", "匿名", None),
    ("symposium", "会议太多，基层干部疲于应付，文件层层转发。", "形式主义", "周委员", None),
    ("meeting", "停车场收费不透明。", "廉洁", "吴师傅", "13900139000"),
]


def _items(users: dict, branch1, branch2) -> None:
    sec, owner, owner2, sup = users["secretary"], users["owner"], users["owner2"], users["supervisor"]
    start = clock.now() - timedelta(days=40)
    with clock.frozen_at(start):
        opinions = [create_opinion(sec, {"org_id": branch1.id, "channel": ch, "content": text, "category": cat,
                                         "submitter_name": name, "submitter_contact": contact,
                                         "anonymous": name == "匿名", "wants_updates": contact is not None})
                    for ch, text, cat, name, contact in OPINIONS]
        today = clock.today()
        merged = create_item(sec, {
            "org_id": branch1.id, "title": "办事大厅午间无人值守", "owner_id": owner.id, "leader_id": sec.id,
            "description": "群众反映中午窗口关闭，上班族办事难。", "category": "服务", "kind": "time_limited",
            "measures": "实行午间错时延时服务，公布值班表。", "deadline": today + timedelta(days=30),
            "opinion_ids": [opinions[0].id, opinions[1].id, opinions[2].id]})
        overdue = create_item(sec, {"org_id": branch1.id, "title": "社保卡补办一次告知", "owner_id": owner2.id,
                                    "category": "效能", "deadline": today + timedelta(days=20), "urgency": "urgent",
                                    "opinion_ids": [opinions[3].id]})
        attitude = create_item(sec, {"org_id": branch1.id, "title": "窗口服务态度整改", "owner_id": owner.id,
                                     "category": "作风", "kind": "long_term", "scope": "common",
                                     "measures": "开展服务礼仪培训，纳入月度考核。", "opinion_ids": [opinions[4].id],
                                     "stage_goals": "每季度一次培训；满意度达到 90%。"})
        triage(sec, opinions[5].id, "answer", "已精简会议文件，下月起每周例会合并召开。")
        triage(sec, opinions[6].id, "reject", "停车场由第三方物业管理，已转交县住建局。")
        create_item(sec, {"org_id": branch1.id, "title": "政务公开栏信息更新不及时",
                          "owner_id": owner2.id, "deadline": today + timedelta(days=60), "category": "服务"})
        cancelled = create_item(sec, {"org_id": branch1.id, "title": "重复登记：午间服务", "owner_id": owner2.id,
                                      "deadline": today + timedelta(days=30)})
        apply_action(sec, cancelled.id, "cancel", cancelled.version, reason="duplicate", comment="与午间服务事项重复")
        apply_action(owner2, overdue.id, "claim", overdue.version, measures="编制一次性告知清单并上墙公示。")
        apply_action(owner2, overdue.id, "start", overdue.version)
        apply_action(owner, attitude.id, "claim", attitude.version)
        apply_action(owner, attitude.id, "start", attitude.version)
        apply_action(owner, attitude.id, "progress", attitude.version, note="已完成第一期培训。", percent=30)
    with clock.frozen_at(start + timedelta(days=5)):
        apply_action(owner, merged.id, "claim", merged.version)
        apply_action(owner, merged.id, "start", merged.version)
        apply_action(owner, merged.id, "progress", merged.version, note="已排出午间值班表。", percent=60)
        add_attachment(owner, merged.id, "photo", "值班表.png", _Bytes(PNG))
        apply_action(owner, merged.id, "submit", merged.version, completion_note="午间错时服务已实行，值班表已公示。")
    with clock.frozen_at(start + timedelta(days=7)):
        apply_action(sec, merged.id, "verify", merged.version, comment="经现场核查，整改到位，同意销号。")
        apply_action(sup, overdue.id, "flag", overdue.version, comment="群众反映集中，挂牌督办。")
    third = create_item(users["secretary2"], {"org_id": branch2.id, "title": "养老保险咨询电话长期占线",
                              "owner_id": users["owner3"].id, "deadline": clock.today() + timedelta(days=2),
                              "category": "服务"})
    apply_action(users["owner3"], third.id, "claim", third.version, measures="增设咨询专线并安排专人接听。")
    apply_action(users["owner3"], third.id, "request_extension", third.version,
                 new_deadline=clock.today() + timedelta(days=30), reason="专线开通需电信部门排期，预计还需一个月。")
    waiting = create_item(sec, {"org_id": branch1.id, "title": "叫号屏故障未及时修复", "owner_id": owner2.id,
                                "kind": "immediate", "category": "效能", "measures": "当日报修，更换叫号屏。",
                                "deadline": clock.today() + timedelta(days=5)})
    apply_action(owner2, waiting.id, "claim", waiting.version)
    add_attachment(owner2, waiting.id, "photo", "叫号屏.png", _Bytes(PNG))
    apply_action(owner2, waiting.id, "submit", waiting.version, completion_note="叫号屏已更换并恢复使用。")
    create_opinion(sec, {"org_id": branch1.id, "channel": "letter", "content": "希望增加自助服务终端。",
                         "kind": "suggestion", "submitter_name": "钱老师", "submitter_contact": "qian@example.org"})


class _Bytes:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.data[self.pos:] if size < 0 else self.data[self.pos:self.pos + size]
        self.pos += len(chunk)
        return chunk


def _evaluation_and_notices(users: dict, county, branch1) -> None:
    """Reviews with ratings (the dashboard's satisfaction figures) and published notices (the public board)."""
    from ledger.evaluation.demo import load_evaluation_demo
    from ledger.notices import services as notices

    load_evaluation_demo()
    today = clock.today()
    plan = [("closure", users["secretary"], branch1, today - timedelta(days=60), today, None),
            ("progress", users["supervisor"], county, today - timedelta(days=7), today - timedelta(days=1), "各党支部")]
    for kind, actor, org, start, end, addressee in plan:
        notice = notices.create_draft(actor, org.id, kind, start, end, addressee=addressee)
        notices.publish(actor, notice.id)
