"""Hook specifications of the search service (re-exported by crm_core.hookspecs)."""
