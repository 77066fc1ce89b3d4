"""files service."""
