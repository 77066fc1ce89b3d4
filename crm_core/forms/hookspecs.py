"""Hook specifications of the forms service (re-exported by crm_core.hookspecs)."""
