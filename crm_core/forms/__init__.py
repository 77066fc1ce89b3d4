"""forms service."""
