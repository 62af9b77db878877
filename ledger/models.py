"""Import every model so that metadata (and Alembic) sees the whole schema."""
from ledger.audit.models import AuditEntry, AuditHead
from ledger.auth.models import ApiToken, Membership, User
from ledger.calendar.models import CalendarDay
from ledger.evaluation.models import Rating, Survey, SurveyLink, Warning
from ledger.items.models import Attachment, CodeCounter, Event, Extension, Item, Urge
from ledger.notices.models import Notice, NoticeCounter, NoticeSettings, Objection
from ledger.opinions.models import Opinion
from ledger.orgs.models import Category, Organisation, OrgSettings
from ledger.outbox.models import Message, Notification
from ledger.reminders.models import Reminder, ReminderSettings
from ledger.reviews.models import Review
from ledger.scheduler.models import JobRun

__all__ = ["AuditEntry", "AuditHead",
           "ApiToken", "Membership", "User", "CalendarDay", "Attachment", "CodeCounter", "Event", "Extension",
           "Item", "Urge", "Opinion", "Category", "Organisation", "OrgSettings", "Message", "Notification", "Review",
           "Reminder", "ReminderSettings", "JobRun",
           "Notice", "NoticeCounter", "NoticeSettings", "Objection",
           "Rating", "Survey", "SurveyLink", "Warning"]
