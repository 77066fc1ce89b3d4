"""Formatting values by locale, choosing locales, and compiling catalogues."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from crm_core.i18n import (
    format_day,
    format_moment,
    format_money,
    format_number,
    supported_locale,
    translator,
)
from crm_core.i18n.catalogues import CORE, Catalogue, Catalogues, fallbacks
from crm_core.i18n.extraction import extract

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("locale", "moment", "day"),
    [
        ("en", "2024-03-01 20:00", "2024-03-01"),
        ("zh_Hans_CN", "2024年3月1日 20:00", "2024年3月1日"),
        ("de", "01.03.2024, 20:00", "01.03.2024"),
    ],
)
def test_dates_follow_the_locale_and_zone(locale, moment, day):
    """A UTC moment is written in the given zone, in the locale's order."""
    noon = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert format_moment(noon, ZoneInfo("Asia/Shanghai"), locale) == moment
    assert format_day(date(2024, 3, 1), locale) == day


@pytest.mark.parametrize(
    ("locale", "number", "usd", "cny"),
    [
        ("en", "1,234,567.50", "$1,234.50", "CN¥1,234.50"),
        ("zh_Hans_CN", "1,234,567.50", "US$1,234.50", "¥1,234.50"),
        ("de", "1.234.567,50", "1.234,50\xa0$", "1.234,50\xa0CN¥"),
    ],
)
def test_numbers_and_money_follow_the_locale(locale, number, usd, cny):
    """Decimals keep their places; money shows its currency the locale's way."""
    assert format_number(Decimal("1234567.50"), locale) == number
    assert format_money(Decimal("1234.5"), "usd", locale) == usd
    assert format_money(Decimal("1234.50"), "CNY", locale) == cny


@pytest.mark.parametrize(
    ("tag", "found"),
    [
        ("zh", "zh_Hans_CN"),
        ("zh-CN", "zh_Hans_CN"),
        ("zh_Hans_CN", "zh_Hans_CN"),
        ("zh-SG", "zh_Hans_CN"),
        ("zh-TW", None),
        ("zh-Hant", None),
        ("en-GB", "en"),
        ("fr", None),
        ("*", None),
        ("", None),
        (None, None),
    ],
)
def test_language_tags_map_to_the_offered_languages(tag, found):
    """Simplified Chinese in any region, English in any region; nothing else."""
    assert supported_locale(tag) == found


def test_catalogues_fall_back_to_broader_locales(tmp_path):
    """A catalogue in a zh folder serves zh_Hans_CN readers."""
    folder = tmp_path / "zh" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "demo.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Hello"\nmsgstr "你好"\n',
        encoding="utf-8",
    )
    assert fallbacks("zh_Hans_CN") == ["zh_Hans_CN", "zh_Hans", "zh_CN", "zh"]
    merged = Catalogues([Catalogue("demo", tmp_path)])
    assert merged.translations("zh_Hans_CN").gettext("Hello") == "你好"
    assert merged.translations("en").gettext("Hello") == "Hello"


def test_emails_are_written_in_the_recipients_language(crm_host):
    """Outside a request a translator gives the texts of a chosen language."""
    assert translator(crm_host, "zh_Hans_CN").gettext("Sign in") == "登录"
    assert translator(crm_host, "en").gettext("Sign in") == "Sign in"
    assert translator(crm_host, "xx").gettext("Sign in") == "Sign in"


#: The packages whose every text must have a Chinese translation.
COMPLETE = ("web/", "i18n/", "users/", "forms/", "core_plugin.py")


def test_every_text_of_the_pages_is_translated_into_chinese():
    """Each marked text of the core's pages and e-mails has a Chinese translation."""
    template = extract(ROOT / "crm_core", CORE.domain)
    path = CORE.po_file("zh_Hans_CN")
    assert path is not None
    with path.open("rb") as handle:
        chinese = read_po(handle)
    missing = []
    for message in template:
        places = [place for place, _line in message.locations]
        if not message.id or not any(
            place.startswith(tuple(f"crm_core/{p}" for p in COMPLETE))
            for place in places
        ):
            continue
        found = chinese.get(message.id, context=message.context)
        if found is None or not found.string or found.fuzzy:
            missing.append(f"{message.id!r} ({places[0]})")
    assert missing == [], "run 'crm translations update', then translate:\n" + (
        "\n".join(missing)
    )


def test_the_chinese_catalogue_keeps_every_placeholder():
    """No translation drops or misspells a %(name)s placeholder."""
    path = CORE.po_file("zh_Hans_CN")
    assert path is not None
    with path.open("rb") as handle:
        chinese = read_po(handle)
    problems = [(message.id, errors) for message, errors in chinese.check()]
    assert problems == []
