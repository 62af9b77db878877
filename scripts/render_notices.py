"""Render the demo notices of every kind to DOCX and PDF, then to PNG pages for a person to look at.

Usage: scripts/render_notices.sh [OUT_DIR]   (default: instance/notice-renders)
Builds a scratch database with the demo data, drafts and publishes one notice of each kind, writes
<kind>.docx and <kind>.pdf, and turns them into PNG pages with LibreOffice (DOCX → PDF) and pdftoppm.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Office fonts named in the DOCX, mapped to the Debian CJK fonts for this rendering only (a reader's
# Word uses the real 方正小标宋简体 / 仿宋_GB2312 / 黑体 / 楷体_GB2312).
FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  {aliases}
</fontconfig>
"""
ALIASES = {"方正小标宋简体": ("Noto Serif CJK SC", "bold"), "仿宋_GB2312": ("Noto Serif CJK SC", None),
           "仿宋": ("Noto Serif CJK SC", None), "楷体_GB2312": ("AR PL UKai CN", None),
           "楷体": ("AR PL UKai CN", None), "黑体": ("Noto Sans CJK SC", None), "宋体": ("Noto Serif CJK SC", None)}


def _fontconfig(directory: Path) -> Path:
    rules = []
    for name, (family, weight) in ALIASES.items():
        edit = f'<edit name="family" mode="assign" binding="strong"><string>{family}</string></edit>'
        if weight:
            edit += f'<edit name="weight" mode="assign" binding="strong"><const>{weight}</const></edit>'
        fallback = '<edit name="family" mode="append"><string>Noto Serif CJK SC</string></edit>'
        rules.append(f'<match target="pattern"><test name="family"><string>{name}</string></test>{edit}{fallback}'
                     "</match>")
    path = directory / "fonts.conf"
    path.write_text(FONTCONFIG.format(aliases="\n  ".join(rules)), encoding="utf-8")
    return path


def build(out: Path) -> list[Path]:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from ledger import create_app
    from ledger.auth.models import User
    from ledger.core import clock
    from ledger.core.db import db
    from ledger.demo import load_demo
    from ledger.notices import services
    from ledger.notices.document import build_document
    from ledger.notices.render_docx import render_docx
    from ledger.notices.render_pdf import render_pdf
    from ledger.orgs.models import Organisation

    scratch = Path(tempfile.mkdtemp(prefix="notices-"))
    app = create_app({"LEDGER_DATABASE_URL": f"sqlite:///{scratch / 'demo.sqlite'}", "INSTANCE_PATH": str(scratch),
                      "LEDGER_INSTANCE_PATH": str(scratch), "LEDGER_ENV": "development",
                      "LEDGER_SCHEDULER": "off"})
    files = []
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        users = {u.username: u for u in db.session.scalars(select(User))}
        branch = db.session.scalar(select(Organisation).where(Organisation.name == "县政务服务中心党支部"))
        county = db.session.scalar(select(Organisation).where(Organisation.parent_id.is_(None)))
        services.update_settings(users["secretary"], branch.id, {
            "addressee": "各党小组、全体党员，广大服务对象", "contact": "电话 0000-1234567 或信箱 <gwzx@example.org>"})
        today = clock.today()
        plan = [("progress", users["supervisor"], county, today - timedelta(days=7), today - timedelta(days=1)),
                ("closure", users["secretary"], branch, today - timedelta(days=60), today),
                ("review", users["secretary"], branch, today - timedelta(days=90), today),
                ("overdue", users["supervisor"], county, today - timedelta(days=30), today)]
        for kind, actor, org, start, end in plan:
            notice = services.create_draft(actor, org.id, kind, start, end,
                                           addressee="各党支部" if org is county else None)
            services.publish(actor, notice.id)
            db.session.commit()
            document = build_document(notice)
            for ext, render in (("docx", render_docx), ("pdf", render_pdf)):
                path = out / f"{kind}.{ext}"
                path.write_bytes(render(document))
                files.append(path)
    shutil.rmtree(scratch, ignore_errors=True)
    return files


def to_png(files: list[Path], out: Path) -> list[Path]:
    env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(out))}
    pngs = []
    for path in files:
        pdf = path
        if path.suffix == ".docx":
            converted = out / "from-docx"
            converted.mkdir(exist_ok=True)
            subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(converted), str(path)],
                           check=True, env=env, stdout=subprocess.DEVNULL, timeout=300)
            pdf = converted / f"{path.stem}.pdf"
        prefix = out / f"{path.stem}-{path.suffix[1:]}"
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(prefix)], check=True, timeout=300)
        pngs += sorted(out.glob(f"{prefix.name}*.png"))
    return pngs


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "instance" / "notice-renders").resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    files = build(out)
    for png in to_png(files, out):
        print(png)


if __name__ == "__main__":
    main()
