"""Hook specifications of the files service (re-exported by crm_core.hookspecs)."""
