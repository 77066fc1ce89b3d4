"""Hook specifications of the segments service (re-exported by crm_core.hookspecs)."""
