"""Hook specifications of the i18n service (re-exported by crm_core.hookspecs)."""
