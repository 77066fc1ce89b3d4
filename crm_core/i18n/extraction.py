"""Keeping catalogues in step with the code: ``crm translations update``.

The marked texts of a package (``gettext``, ``_``, ``lazy_gettext``,
``pgettext`` and ``NavItem`` labels in Python; ``_()`` and ``gettext()`` in
Jinja templates) are extracted into ``<folder>/<domain>.pot``; every
``<folder>/<locale>/LC_MESSAGES/<domain>.po`` is then updated from it, new
texts left for the translator and vanished ones kept as obsolete.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from .. import __version__
from .catalogues import CORE, Catalogue

METHODS = [
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"trimmed": "true"}}
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "lazy_gettext": None,
    "lazy_pgettext": ((1, "c"), 2),
    "NavItem": None,
}
PROJECT = "Strata CRM"
HEADER = """\
# Texts of Strata CRM for translators.
# Distributed under the same license as Strata CRM.
#"""
TEAM = "Strata CRM contributors"


def _catalog(domain: str, locale: str | None = None) -> Catalog:
    catalog = Catalog(
        locale=locale,
        domain=domain,
        header_comment=HEADER,
        project=PROJECT,
        version=__version__,
        copyright_holder=TEAM,
        last_translator=TEAM,
        language_team=TEAM,
        fuzzy=False,
    )
    catalog.msgid_bugs_address = ""
    return catalog


def extract(source: Path, domain: str) -> Catalog:
    """Every marked text under ``source``, with where it is used."""
    template = _catalog(domain)
    found = extract_from_dir(
        str(source),
        METHODS,
        OPTIONS,
        KEYWORDS,
        strip_comment_tags=True,
    )
    for filename, line, message, comments, context in found:
        where = (str(Path(source.name) / filename), line)
        template.add(
            message, locations=[where], auto_comments=comments, context=context
        )
    return template


def po_files(catalogue: Catalogue) -> Iterator[Path]:
    yield from sorted(catalogue.path.glob(f"*/LC_MESSAGES/{catalogue.domain}.po"))


def render(catalog: Catalog) -> bytes:
    buffer = BytesIO()
    write_po(buffer, catalog, width=88, omit_header=False, sort_output=False)
    return buffer.getvalue()


def updated(path: Path, template: Catalog) -> Catalog:
    """The ``.po`` file at ``path`` brought in step with ``template``."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    catalog.update(template, no_fuzzy_matching=True)
    return catalog


def untranslated(catalog: Catalog) -> list[str]:
    """The texts of ``catalog`` still without a translation (or marked fuzzy)."""
    return [
        str(message.id)
        for message in catalog
        if message.id and (not message.string or message.fuzzy)
    ]


def update(catalogue: Catalogue, source: Path, *, check: bool = False) -> list[str]:
    """Update the template and every ``.po`` file; returns what is left to do.

    With ``check`` nothing is written and a file that would change counts
    as a problem, for continuous integration.
    """
    template = extract(source, catalogue.domain)
    problems = []
    outputs = [(catalogue.path / f"{catalogue.domain}.pot", template)]
    for path in po_files(catalogue):
        catalog = updated(path, template)
        outputs.append((path, catalog))
        problems += [f"{path}: untranslated {text!r}" for text in untranslated(catalog)]
    for path, catalog in outputs:
        text = render(catalog)
        if check:
            if not path.exists() or _body(path.read_bytes()) != _body(text):
                problems.append(f"{path}: out of date; run 'crm translations update'")
        else:
            path.write_bytes(text)
    return problems


def start(catalogue: Catalogue, source: Path, locale: str) -> Path:
    """Begin the ``.po`` file of a new language from the extracted texts."""
    template = extract(source, catalogue.domain)
    path = catalogue.path / locale / "LC_MESSAGES" / f"{catalogue.domain}.po"
    if path.exists():
        raise click.ClickException(f"{path} exists already; use 'update'")
    catalog = _catalog(catalogue.domain, locale)
    catalog.update(template, no_fuzzy_matching=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(catalog))
    return path


def _body(text: bytes) -> bytes:
    """A catalogue without its header, whose dates change on every write."""
    return text.split(b"\n\n", 1)[-1]


@click.group("translations")
def translations_command() -> None:
    """Keep the message catalogues in step with the code."""


_SOURCE = click.option(
    "--source",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path(__file__).resolve().parent.parent,
    help="The package whose texts are extracted (default: crm_core).",
)
_DOMAIN = click.option("--domain", default=CORE.domain, show_default=True)
_FOLDER = click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=CORE.path,
    help="The translations folder (default: the core's).",
)


@translations_command.command("init")
@click.argument("locale")
@_SOURCE
@_DOMAIN
@_FOLDER
def translations_init(locale: str, source: Path, domain: str, folder: Path) -> None:
    """Start the .po file of a new language (such as zh_Hans_CN)."""
    path = start(Catalogue(domain, folder), source, locale)
    click.echo(f"wrote {path}")


@translations_command.command("update")
@_SOURCE
@_DOMAIN
@_FOLDER
@click.option("--check", is_flag=True, help="Change nothing; fail when out of date.")
def translations_update(source: Path, domain: str, folder: Path, check: bool) -> None:
    """Extract the marked texts and update every language's .po file."""
    problems = update(Catalogue(domain, folder), source, check=check)
    for problem in problems:
        click.echo(problem, err=True)
    if check and problems:
        raise SystemExit(1)
