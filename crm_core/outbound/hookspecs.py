"""Hook specifications of the outbound service (re-exported by crm_core.hookspecs)."""
