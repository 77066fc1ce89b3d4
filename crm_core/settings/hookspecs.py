"""Hook specifications of the settings service (re-exported by crm_core.hookspecs)."""
