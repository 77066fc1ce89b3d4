"""scores service."""
