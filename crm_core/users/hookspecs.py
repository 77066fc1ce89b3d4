"""Hook specifications of the users service (re-exported by crm_core.hookspecs)."""
