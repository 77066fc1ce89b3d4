"""Hook specifications of the views service (re-exported by crm_core.hookspecs)."""
