"""How the files service plugs into the core: functions named after the hooks they answer."""
