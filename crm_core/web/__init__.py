"""The server-rendered pages: sign-in, the customer list, page and forms.

The host mounts :func:`blueprints` through the core plugin's
``crm_page_blueprints`` hook. Plugin pages extend ``"crm/base.html"`` to get
the shell: navigation, the signed-in user and flash messages.
"""

from __future__ import annotations

from flask import Blueprint

from . import customer_edit, customer_views, login
from .shell import CONTENT_SECURITY_POLICY, pages

__all__ = ["CONTENT_SECURITY_POLICY", "blueprints"]

# The view modules register their routes on ``pages`` when imported.
_VIEWS = (login, customer_views, customer_edit)


def blueprints() -> list[Blueprint]:
    """The page blueprints of the core."""
    return [pages]
