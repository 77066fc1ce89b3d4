"""search service."""
