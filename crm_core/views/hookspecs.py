"""Hook specifications of bulk actions and saved views (see crm_core.hookspecs).

They add no hooks: bulk changes are checked by ``crm_validate_customers`` and
``crm_before_delete`` like any other change, in batches.
"""
