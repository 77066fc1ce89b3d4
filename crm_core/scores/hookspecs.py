"""Hook specifications of the scores service (re-exported by crm_core.hookspecs)."""
