"""Message catalogues: each plugin's ``.po`` files, compiled in memory on first use.

A catalogue is a folder laid out as gettext expects
(``<folder>/<locale>/LC_MESSAGES/<domain>.po``). The ``.po`` files are the
only thing committed; the first lookup of a language in a process reads and
compiles them with Babel, so there is no build step and no compiled file to
go stale. The core's catalogue comes first, then each plugin's in load
order, so a plugin may re-translate a message of the core.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

if TYPE_CHECKING:
    from ..host import Host

#: The languages a user can choose: locale identifier and the language's own name.
LANGUAGES: dict[str, str] = {"en": "English", "zh_Hans_CN": "简体中文"}
DEFAULT_LOCALE = "en"

_DOMAIN = re.compile(r"[a-z][a-z0-9_]*")


def _domain(_instance: object, _attribute: object, value: str) -> None:
    if not _DOMAIN.fullmatch(value):
        raise ValueError(
            f"catalogue domain {value!r} must be a lower-case name such as 'sales'"
        )


@attrs.frozen
class Catalogue:
    """One plugin's translations: its gettext ``domain`` and the folder holding them."""

    domain: str = attrs.field(validator=_domain)
    path: Path = attrs.field(converter=Path)

    def po_file(self, locale: str) -> Path | None:
        """The ``.po`` file for ``locale`` or the nearest broader locale, if any."""
        for candidate in fallbacks(locale):
            path = self.path / candidate / "LC_MESSAGES" / f"{self.domain}.po"
            if path.is_file():
                return path
        return None


#: The core's own catalogue (every page and e-mail text of ``crm_core``).
CORE = Catalogue("core", Path(__file__).parent / "translations")


def fallbacks(locale: str) -> list[str]:
    """``zh_Hans_CN`` → ``zh_Hans_CN``, ``zh_Hans``, ``zh_CN``, ``zh``."""
    try:
        parsed = Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        return [locale]
    found = [str(parsed)]
    if parsed.script:
        found.append(f"{parsed.language}_{parsed.script}")
    if parsed.territory:
        found.append(f"{parsed.language}_{parsed.territory}")
    found.append(parsed.language)
    return list(dict.fromkeys(found))


def supported_locale(tag: object) -> str | None:
    """The offered language that ``tag`` (``zh-CN``, ``en_GB``, ``zh``) asks for.

    A tag matches an offered language of the same language code unless it
    names another script: ``zh-TW`` (Traditional Chinese) matches nothing.
    """
    if not isinstance(tag, str) or not tag.strip():
        return None
    try:
        wanted = Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    for identifier in LANGUAGES:
        offered = Locale.parse(identifier)
        if wanted.language != offered.language:
            continue
        if (wanted.script or offered.script) == offered.script:
            return identifier
    return None


def compile_po(path: Path, locale: str, domain: str) -> Translations:
    """Read a ``.po`` file and compile it in memory (fuzzy entries are left out)."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=domain)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=domain)


class Catalogues:
    """The catalogues of one installation, merged per language on first use."""

    def __init__(self, catalogues: Sequence[Catalogue]) -> None:
        self.catalogues = list(catalogues)
        self._merged: dict[str, NullTranslations] = {}
        self._lock = threading.Lock()

    def translations(self, locale: str) -> NullTranslations:
        """Every catalogue's messages for ``locale``; later catalogues win."""
        found = self._merged.get(locale)
        if found is None:
            with self._lock:
                found = self._merged.get(locale) or self._merge(locale)
                self._merged[locale] = found
        return found

    def _merge(self, locale: str) -> NullTranslations:
        merged: Translations | None = None
        for catalogue in self.catalogues:
            path = catalogue.po_file(locale)
            if path is None:
                continue
            compiled = compile_po(path, locale, catalogue.domain)
            if merged is None:
                merged = Translations(domain=catalogue.domain)
                merged.plural = compiled.plural
            merged.add(compiled, merge=False)
            merged.merge(compiled)
        return merged if merged is not None else NullTranslations()


def as_catalogue(value: Any, plugin: str) -> Catalogue:
    """A plugin's ``crm_translations`` answer as a :class:`Catalogue`."""
    if isinstance(value, Catalogue):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return Catalogue(str(value[0]), Path(value[1]))
    raise TypeError(
        f"plugin {plugin!r} answered crm_translations with {value!r}; return "
        "(domain, path to the translations folder) or a Catalogue"
    )


def catalogues_for(host: Host) -> Catalogues:
    """The host's catalogues: the core's, then each plugin's, made once."""
    found: Catalogues | None = host.extensions.get("i18n.catalogues")
    if found is None:
        contributed = host.plugins.collect("crm_translations")
        found = Catalogues(
            [CORE, *(as_catalogue(c.value, c.plugin) for c in contributed)]
        )
        host.extensions["i18n.catalogues"] = found
    return found


def translator(host: Host, locale: str | None) -> NullTranslations:
    """Translations for ``locale`` outside a request (e-mails, jobs)."""
    chosen = supported_locale(locale) or DEFAULT_LOCALE
    return catalogues_for(host).translations(chosen)
