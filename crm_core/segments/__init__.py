"""segments service."""
