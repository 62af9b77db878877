"""Settings, read from ``LEDGER_*`` environment variables or ``instance/ledger.cfg``."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_INSTANCE = BASE_DIR / "instance"


def _instance_file_settings(instance: Path) -> dict[str, str]:
    """Read ``KEY=value`` lines from ``instance/ledger.cfg`` (an alternative to the environment)."""
    path = instance / "ledger.cfg"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip().strip('"')
    return values


def _secret_key(instance: Path) -> str:
    """A secret key kept under instance/, generated once: never random per process."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def json_text(value) -> str:
    """JSON as stored in JSON columns (a plain function: psycopg keys its JSON dumpers on the code object)."""
    return json.dumps(value, ensure_ascii=False)


def _flag(value, default: bool) -> bool:
    """``on``/``off`` (also true/false, yes/no, 1/0); unset or empty: ``default``."""
    if value is None or str(value).strip() == "":
        return default
    text = str(value).strip().lower()
    if text in ("1", "on", "true", "yes"):
        return True
    if text in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"expected on or off, got {value!r}")


def load_settings(instance: Path | None = None, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping: defaults < instance file < environment < overrides."""
    instance = Path(instance or os.environ.get("LEDGER_INSTANCE_PATH") or DEFAULT_INSTANCE)
    source = {**_instance_file_settings(instance), **{k: v for k, v in os.environ.items() if k.startswith("LEDGER_")}}
    overrides = overrides or {}

    def get(name: str, default=None):
        return overrides.get(name, source.get(name, default))

    database_url = get("LEDGER_DATABASE_URL") or f"sqlite:///{instance / 'ledger.sqlite'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    max_upload_mb = float(get("LEDGER_MAX_UPLOAD_MB", 20))
    settings = {
        "INSTANCE_PATH": str(instance),
        "LEDGER_ENV": get("LEDGER_ENV", "development"),
        "SECRET_KEY": get("LEDGER_SECRET_KEY") or _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # JSON columns keep Chinese as UTF-8, not \uXXXX escapes: a county's scheduled notices are a quarter smaller
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                      "json_serializer": json_text},
        "LEDGER_SMTP_URL": get("LEDGER_SMTP_URL", ""),
        "LEDGER_MAIL_FROM": get("LEDGER_MAIL_FROM", "ledger@localhost"),
        "LEDGER_BASE_URL": get("LEDGER_BASE_URL", "http://127.0.0.1:5000"),
        "LEDGER_TIMEZONE": get("LEDGER_TIMEZONE", "Asia/Shanghai"),
        "LEDGER_UPLOAD_DIR": get("LEDGER_UPLOAD_DIR") or str(instance / "uploads"),
        "LEDGER_SCHEDULER": get("LEDGER_SCHEDULER", "off"),
        "LEDGER_MAX_UPLOAD_BYTES": int(max_upload_mb * 1024 * 1024),
        "MAX_CONTENT_LENGTH": int(max_upload_mb * 1024 * 1024) + 64 * 1024,
        "LEDGER_LOGIN_LIMIT_ACCOUNT": get("LEDGER_LOGIN_LIMIT_ACCOUNT", "5 per minute;20 per hour"),
        "LEDGER_LOGIN_LIMIT_ADDRESS": get("LEDGER_LOGIN_LIMIT_ADDRESS", "30 per minute"),
        # SPEC §16: second factor, lockout, session and token lifetimes
        "LEDGER_REQUIRE_2FA": _flag(get("LEDGER_REQUIRE_2FA"),
                                    default=get("LEDGER_ENV", "development") == "production"),
        "LEDGER_LOCKOUT_THRESHOLD": int(get("LEDGER_LOCKOUT_THRESHOLD", 5)),
        "LEDGER_LOCKOUT_MINUTES": int(get("LEDGER_LOCKOUT_MINUTES", 15)),
        "LEDGER_SESSION_IDLE_MINUTES": int(get("LEDGER_SESSION_IDLE_MINUTES", 30)),
        "LEDGER_SESSION_MAX_HOURS": int(get("LEDGER_SESSION_MAX_HOURS", 12)),
        "LEDGER_TOKEN_DAYS": int(get("LEDGER_TOKEN_DAYS", 90)),
        # 三员分立: system admin, security admin and auditor are three accounts (ledger.audit.duties)
        "LEDGER_SEPARATION_OF_DUTIES": _flag(get("LEDGER_SEPARATION_OF_DUTIES"), default=False),
        "RATELIMIT_STORAGE_URI": get("LEDGER_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LEDGER_OUTBOX_MAX_ATTEMPTS": int(get("LEDGER_OUTBOX_MAX_ATTEMPTS", 6)),
        "LEDGER_PROXY_HOPS": int(get("LEDGER_PROXY_HOPS", 0)),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_SORT_KEYS": False,
    }
    # Every other LEDGER_* setting (read by its feature, e.g. LEDGER_DIGEST_HOUR) reaches app.config as text,
    # from the environment or instance/ledger.cfg alike.
    for key, value in source.items():
        if key not in overrides:
            settings.setdefault(key, value)
    if settings["LEDGER_ENV"] == "production":
        settings["SESSION_COOKIE_SECURE"] = True
    settings.update({k: v for k, v in overrides.items() if not k.startswith("LEDGER_") or k not in settings})
    return settings
