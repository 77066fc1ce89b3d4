"""Hook specifications of the tasks service (re-exported by crm_core.hookspecs)."""
