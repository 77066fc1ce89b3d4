"""How the i18n service plugs into the core: functions named after the hooks they answer."""
