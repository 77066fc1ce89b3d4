"""Hook specifications of the i18n service (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import collect

__all__ = ["crm_translations"]


@collect
def crm_translations() -> Any:
    """This plugin's message catalogue.

    Kind: collect. Return ``(domain, path)`` (or a
    :class:`crm_core.i18n.Catalogue`): the gettext domain, usually the
    plugin's name, and the folder holding
    ``<locale>/LC_MESSAGES/<domain>.po`` files. The ``.po`` files are read
    and compiled in memory on first use; nothing needs compiling by hand.
    Plugins' catalogues are merged after the core's, in load order, so the
    texts a plugin marks with ``crm_core.i18n.gettext`` or ``_()`` in its
    templates are translated like the core's.
    ``crm translations update --source PACKAGE --domain NAME --folder PATH``
    keeps a plugin's files in step with its code.

    .. versionadded:: 1.1
    """
