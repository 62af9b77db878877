"""API: organisations and their settings."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import Body, Id, Line, Out, actor, arg, cursor_arg, limit_arg, many, one, parse_body
from ledger.api.registry import api_route
from ledger.core.pagination import page_by_id
from ledger.orgs import services
from ledger.orgs.models import Organisation

OrgKindName = Literal["committee", "general_branch", "branch", "agency", "department", "other"]


class OrgOut(Out):
    id: int
    name: str
    kind: str
    parent_id: int | None
    timezone: str


class OrgCreate(Body):
    name: Line = Field(max_length=200)
    kind: OrgKindName = "branch"
    parent_id: Id | None = None
    timezone: Line = Field(default="Asia/Shanghai", max_length=64)


class OrgUpdate(Body):
    name: Line | None = Field(default=None, max_length=200)
    kind: OrgKindName | None = None
    parent_id: Id | None = None
    timezone: Line | None = Field(default=None, max_length=64)


class OrgSettingsIn(Body):
    evidence_required: bool | None = None
    warning_days: int | None = Field(default=None, ge=0, le=60)
    progress_margin: int | None = Field(default=None, ge=0, le=100)


class OrgSettingsOut(Out):
    org_id: int
    evidence_required: bool
    warning_days: int
    progress_margin: int


@api_route(bp, "/orgs", "GET", list_of=OrgOut, query=params.PAGED)
def list_orgs():
    """Organisations the caller belongs to or supervises."""
    return many(OrgOut, page_by_id(services.list_orgs_query(actor()), Organisation, limit_arg(), cursor_arg()))


@api_route(bp, "/orgs/<int:org_id>", "GET", response=OrgOut)
def get_org(org_id: int):
    """One organisation."""
    return one(OrgOut, services.get_org(actor(), org_id))


@api_route(bp, "/orgs", "POST", body=OrgCreate, response=OrgOut, status=201)
def create_org():
    """Create an organisation (admin)."""
    body = parse_body(OrgCreate)
    return one(OrgOut, services.create_org(actor(), body.name, body.kind, body.parent_id, body.timezone), 201)


@api_route(bp, "/orgs/<int:org_id>", "PATCH", body=OrgUpdate, response=OrgOut)
def update_org(org_id: int):
    """Rename, move or re-zone an organisation (admin)."""
    body = parse_body(OrgUpdate)
    return one(OrgOut, services.update_org(actor(), org_id, body.model_dump(exclude_unset=True)))


@api_route(bp, "/orgs/<int:org_id>/settings", "PUT", body=OrgSettingsIn, response=OrgSettingsOut)
def update_org_settings(org_id: int):
    """Per-organisation settings: evidence required, warning window, progress margin."""
    body = parse_body(OrgSettingsIn)
    return one(OrgSettingsOut, services.update_settings(actor(), org_id, body.model_dump(exclude_none=True)))


class CategoryOut(Out):
    id: int
    name: str
    active: bool
    position: int


class CategoryIn(Body):
    name: Line = Field(max_length=50)
    active: bool = True
    position: int | None = Field(default=None, ge=0, le=10000)


@api_route(bp, "/categories", "GET", list_of=CategoryOut, query=(params.boolean("all", "include inactive (admin)"),))
def list_categories():
    """The category list (admin-managed)."""
    from flask import jsonify

    rows = services.list_categories(include_inactive=bool(arg("all")) and actor().is_admin)
    return jsonify({"items": [CategoryOut.model_validate(c).model_dump() for c in rows], "next_cursor": None})


@api_route(bp, "/categories", "PUT", body=CategoryIn, response=CategoryOut)
def save_category():
    """Add, rename-free re-activate, deactivate or reorder a category by name (admin)."""
    body = parse_body(CategoryIn)
    return one(CategoryOut, services.save_category(actor(), body.name, body.active, body.position))
