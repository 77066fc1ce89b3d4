"""outbound service."""
