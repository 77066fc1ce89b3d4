"""Strata's first-party plugins, installed as the ``crm_plugins`` package.

Each sub-package is registered through the ``crm.plugins`` entry-point group,
exactly as a vendor's plugin would be.
"""
