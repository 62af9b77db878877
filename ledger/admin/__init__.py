"""The admin pages: organisations, users and memberships, categories, settings, the outbox."""
