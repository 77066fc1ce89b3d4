"""The user lifecycle: invitations, password resets, availability and deactivation.

Plugins use :func:`is_available` and :func:`available_users` in assignment
rules, and answer the ``crm_reassign_owner`` hook with :class:`Handover`
objects so a departing user's records reach a colleague.
"""

from .availability import available_users, is_available
from .handover import Handover, UserDeactivated

__all__ = ["Handover", "UserDeactivated", "available_users", "is_available"]
