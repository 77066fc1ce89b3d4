"""i18n service."""
