"""The pages' languages: which one a visitor gets, and what each says.

Every user-facing string of the pages lives in one catalogue per language
(``catalogue/ja.py``, ``catalogue/en.py``: plain dictionaries, Japanese first), and
so does every way a language says a time, an age or a list: a page never asks
``lang == "ja"``. Both catalogues hold the same keys with the same ``{placeholders}``
(``tests/hub/web/test_pages.py`` checks). The page scripts get the whole catalogue of
the page's language in its JSON config.

Notification texts are not here: ``alerts/messages.py`` writes those.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from mimamori.hub.web.catalogue import (
    cases_en,
    cases_ja,
    desk_en,
    desk_ja,
    en,
    figures_en,
    figures_ja,
    fleet_en,
    fleet_ja,
    found_en,
    found_ja,
    gwconfig_en,
    gwconfig_ja,
    ja,
    line_en,
    line_ja,
    rollcall_en,
    rollcall_ja,
    sos_en,
    sos_ja,
)

Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = ("ja", "en")
# The desk's texts (the register's pages) in files of their own: the pages' catalogue
# would pass 400 lines with them.
CATALOGUES: Mapping[Lang, Mapping[str, str]] = {
    "ja": {
        **ja.TEXT, **desk_ja.TEXT, **cases_ja.TEXT, **figures_ja.TEXT, **fleet_ja.TEXT,
        **found_ja.TEXT, **rollcall_ja.TEXT, **line_ja.TEXT, **sos_ja.TEXT,
        **gwconfig_ja.TEXT,
    },
    "en": {
        **en.TEXT, **desk_en.TEXT, **cases_en.TEXT, **figures_en.TEXT, **fleet_en.TEXT,
        **found_en.TEXT, **rollcall_en.TEXT, **line_en.TEXT, **sos_en.TEXT,
        **gwconfig_en.TEXT,
    },
}


def pick_lang(requested: str | None, cookie: str | None, default: Lang) -> Lang:
    """The language asked for in the query, else the one remembered in the cookie,
    else the hub's (``hub.language``); anything else is ignored."""
    for candidate in (requested, cookie):
        for lang in LANGS:
            if candidate == lang:
                return lang
    return default


def other(lang: Lang) -> Lang:
    """The language the switch on every page leads to."""
    return "en" if lang == "ja" else "ja"


class Texts:
    """One language's catalogue, as templates and pages use it: ``t("key")``, or
    ``t("key", n=3)`` for a text with placeholders; and how the language says a time."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.catalogue = CATALOGUES[lang]
        self.months = self.catalogue["months"].split()

    def __call__(self, key: str, /, **values: object) -> str:
        text = self.catalogue[key]
        return text.format(**values) if values else text

    def all(self) -> dict[str, str]:
        """The whole catalogue, for a page's script."""
        return dict(self.catalogue)

    def date_time(self, local: datetime) -> str:
        """A local time as people read it: 「11月5日 14:03」, "05 Nov 14:03"."""
        name = self.months[local.month - 1]
        return self("date_time", month_name=name, day=local.day, time=f"{local:%H:%M}")

    def ago(self, since: datetime, now: datetime) -> str:
        """How long ago: minutes within the hour, hours within two days, then days."""
        minutes = int((now - since).total_seconds() // 60)
        if minutes < 60:
            return self("ago_minutes", n=minutes)
        hours = minutes // 60
        if hours < 48:
            return self("ago_hours", n=hours)
        return self("ago_days", n=hours // 24)

    def join(self, items: list[str]) -> str:
        return self("list_sep").join(items)


_TEXTS: Mapping[Lang, Texts] = {lang: Texts(lang) for lang in LANGS}


def texts(lang: Lang) -> Texts:
    return _TEXTS[lang]
