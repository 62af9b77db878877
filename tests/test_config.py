"""Settings: LEDGER_* from the environment or instance/ledger.cfg (environment first); a secret key kept."""
from __future__ import annotations

from config import load_settings


def test_instance_file_and_environment(tmp_path, monkeypatch):
    (tmp_path / "ledger.cfg").write_text(
        "# comment\nLEDGER_TIMEZONE = Asia/Urumqi\nLEDGER_MAIL_FROM=\"file@example.org\"\nLEDGER_DIGEST_HOUR=6\n"
        "LEDGER_SMTP_URL=smtp://file:25\n", encoding="utf-8")
    monkeypatch.setenv("LEDGER_SMTP_URL", "smtp://env:25")
    monkeypatch.setenv("LEDGER_REMINDER_HOURS", "8-18")
    settings = load_settings(tmp_path)
    assert settings["LEDGER_TIMEZONE"] == "Asia/Urumqi" and settings["LEDGER_MAIL_FROM"] == "file@example.org"
    assert settings["LEDGER_SMTP_URL"] == "smtp://env:25"  # the environment wins over the file
    # settings that features read themselves reach app.config too, from either place
    assert settings["LEDGER_DIGEST_HOUR"] == "6" and settings["LEDGER_REMINDER_HOURS"] == "8-18"
    assert load_settings(tmp_path, {"LEDGER_REMINDER_HOURS": "9"})["LEDGER_REMINDER_HOURS"] == "9"


def test_defaults(tmp_path, monkeypatch):
    for name in ("LEDGER_DATABASE_URL", "LEDGER_SCHEDULER", "LEDGER_SECRET_KEY", "LEDGER_UPLOAD_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    assert settings["LEDGER_UPLOAD_DIR"] == str(tmp_path / "uploads")
    assert settings["LEDGER_SCHEDULER"] == "off"


def test_postgresql_url_uses_psycopg(tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", "postgresql://u:p@db:5432/ledger")
    assert load_settings(tmp_path)["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/ledger"


def test_secret_key_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("LEDGER_SECRET_KEY", raising=False)
    first = load_settings(tmp_path)["SECRET_KEY"]
    assert len(first) >= 64 and (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert load_settings(tmp_path)["SECRET_KEY"] == first
    monkeypatch.setenv("LEDGER_SECRET_KEY", "given")
    assert load_settings(tmp_path)["SECRET_KEY"] == "given"


def test_json_columns_store_chinese_as_text_not_escapes(app, f):
    """A county's scheduled notices are a quarter smaller without \\uXXXX escapes (bench/FINDINGS.md)."""
    from datetime import date

    from sqlalchemy import text

    from ledger.core.db import db
    from ledger.notices import services

    w = f.world()
    notice = services.create_draft(None, w.org_a.id, "review", date(2026, 1, 1), date(2026, 1, 31))
    db.session.commit()
    stored = db.session.execute(text("SELECT CAST(content AS TEXT) FROM notices WHERE id = :id"),
                                {"id": notice.id}).scalar()
    assert "甲支部" in stored and "\\u" not in stored
    db.session.expire_all()
    assert db.session.get(type(notice), notice.id).content["org"]["name"] == "甲支部"
