"""settings service."""
