"""What an e-mail address, a contact and a mail header may hold (issue 14, finding 2).

An address is one address, checked by ``email-validator`` (syntax only: no DNS, no network); a contact left
by a member of the public is a phone number (Chinese mobile or landline formats, or an international one
with its ``+`` code, checked by ``phonenumbers``) or an address, never free text; a header is one line.
Values are checked where they enter (users, opinions, objections, imports) and again when a message is
built, so a row written before these checks is refused there, alone, not with the whole outbox."""
from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ledger.core.errors import Invalid

MAX_ADDRESS = 200  # the columns' width (users.email, opinions.submitter_contact, messages.to_address)
BAD_EMAIL = "邮箱格式不正确"
BAD_CONTACT = "联系方式应为电话号码或电子邮箱"
BLANK = " \t\u3000"  # what may surround a value; a line break never may (it is refused, not trimmed)

# A phone as people write it: digits, spaces, dashes, brackets, a leading +, and maybe an extension
# (转 123, 分机 123, ext 123, #123, or a last -123 after a complete landline number).
_PHONE = re.compile(r"\+?[0-9 ()\-]{5,30}")
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#|-)\s*[0-9]{1,6}$", re.IGNORECASE)
# Every kind of line break (a header is one line).
_HEADER_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")


def email_problem(value: str | None) -> str | None:
    """Why ``value`` is not one e-mail address (None: it is)."""
    try:
        normalise_email(value)
    except ValueError as exc:
        return str(exc)
    return None


def normalise_email(value: str | None) -> str:
    """The address in its normalised form (domain lower-cased, NFC); ValueError(message) when it is not one."""
    return _checked(value, detail=False).normalized


def envelope_address(value: str | None) -> str:
    """The address as SMTP should see it: its ASCII form where it has one (an internationalised domain)."""
    checked = _checked(value, detail=True)
    return checked.ascii_email or checked.normalized


def _checked(value: str | None, detail: bool):
    value = (value or "").strip(BLANK)
    if not value or len(value) > MAX_ADDRESS:
        raise ValueError(BAD_EMAIL)
    try:
        return validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{BAD_EMAIL}（{exc}）" if detail else BAD_EMAIL) from None


def looks_like_email(value: str | None) -> bool:
    return "@" in (value or "")


def is_phone(value: str | None) -> bool:
    """A valid phone number, read as Chinese unless it starts with + (full-width digits are accepted)."""
    text = unicodedata.normalize("NFKC", value or "").strip(BLANK)
    text = text.replace("（", "(").replace("）", ")")
    main = _EXTENSION.sub("", text)
    for candidate in dict.fromkeys((text, main)):
        if _PHONE.fullmatch(candidate) and _valid_number(candidate):
            return True
    return False


def _valid_number(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, "CN"))
    except phonenumbers.NumberParseException:
        return False


def contact_problem(value: str | None) -> str | None:
    """Why ``value`` is not a contact (a phone number or an e-mail address); None when it is one or empty."""
    value = (value or "").strip(BLANK)
    if not value:
        return None
    if looks_like_email(value):
        return None if email_problem(value) is None else BAD_CONTACT
    return None if len(value) <= MAX_ADDRESS and is_phone(value) else BAD_CONTACT


def header_text(value: str | None, limit: int = 300) -> str:
    """``value`` as one header line: line breaks become one space, other control and format characters go,
    and it is cut to ``limit`` characters (the subject column's width)."""
    text = _HEADER_BREAKS.sub(" ", value or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch == "\t")
    text = text.replace("\t", " ").strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def user_email(value: str | None, field: str = "email") -> str | None:
    """A user's address as stored: None when blank, else normalised; Invalid({field: …}) when it is not one."""
    if not (value or "").strip(BLANK):
        return None
    try:
        return normalise_email(value)
    except ValueError as exc:
        raise Invalid({field: str(exc)}) from None
