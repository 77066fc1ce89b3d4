"""mail service."""
