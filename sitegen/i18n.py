"""The templates' interface text: one gettext catalog, templates/messages.po, read with Babel; plural forms are
chosen by the CLDR rules of the catalog's language (Arabic: zero, one, two, few, many, other), not by hand."""
from __future__ import annotations

from pathlib import Path

import jinja2
from babel import Locale
from babel.messages.pofile import read_po

CATALOG = "messages.po"
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")   # the order of msgstr[0..5], as gettext numbers them


class MissingMessage(LookupError):
    """A template asks for a string the catalog does not have (or has not translated)."""


class Catalog:
    def __init__(self, path: Path):
        self.path = path
        messages, language = {}, "ar"
        if path.is_file():
            with path.open("rb") as f:
                catalog = read_po(f)
            language = str(catalog.locale or language)
            messages = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
        self.messages = messages
        self.rule = Locale.parse(language).plural_form
        self.forms = [tag for tag in CLDR_ORDER if tag in self.rule.tags or tag == "other"]

    def gettext(self, message: str) -> str:
        found = self.messages.get(message)
        if not isinstance(found, str) or not found:
            raise MissingMessage(f"no translation of '{message}' in templates/{CATALOG}")
        return found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self.messages.get((singular, plural))
        if not isinstance(found, tuple) or len(found) != len(self.forms) or not all(found):
            raise MissingMessage(f"no {len(self.forms)} plural forms of '{singular}' in templates/{CATALOG}")
        return found[self.forms.index(self.rule(n))]


def install_catalog(env: jinja2.Environment, templates: Path) -> None:
    """_(), gettext() and ngettext() in every template, new-style: ngettext("%(num)s fact", "%(num)s facts", n)
    fills in num (and any other keyword) after choosing the form, escaping the values."""
    catalog = Catalog(templates / CATALOG)
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(catalog.gettext, catalog.ngettext, newstyle=True)
