"""users service."""
