"""Hook specifications of the mail service (re-exported by crm_core.hookspecs)."""
