"""The templates' interface text: one gettext catalog, templates/messages.po, read with Babel; plural forms are
chosen by the CLDR rules of the catalog's language (Arabic: zero, one, two, few, many, other), and month names
are CLDR's for that language, not written by hand."""
from __future__ import annotations

import gettext
import hashlib
import importlib.util
import json
import os
from pathlib import Path

import jinja2
from markupsafe import Markup

CATALOG = "messages.po"
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")   # the order of msgstr[0..5], as gettext numbers them


class MissingMessage(LookupError):
    """A template asks for a string the catalog does not have (or has not translated)."""


class Catalog:
    def __init__(self, path: Path, cache: str | None = None):
        self.path = path
        self.messages, self.forms, plural, self.months = _table(path.read_bytes() if path.is_file() else None, cache)
        self.form_of = gettext.c2py(plural)     # n -> the index of its form in self.forms
        self._constant: dict[str, Markup] = {}  # _(message) without variables, as markup

    def gettext(self, message: str) -> str:
        found = self.messages.get(message)
        if not isinstance(found, str) or not found:
            raise MissingMessage(f"no translation of '{message}' in templates/{CATALOG}")
        return found

    def markup(self, message: str, **variables) -> Markup:
        """_() as Jinja's new-style gettext gives it (templates are always autoescaped): the translation as markup,
        the variables escaped into it, "%%" as "%". Called directly, not through the template's context twice as
        Jinja's is: a build calls it thousands of times."""
        if variables:
            return Markup(self.gettext(message)) % variables
        found = self._constant.get(message)
        if found is None:
            found = self._constant[message] = Markup(self.gettext(message)) % {}
        return found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self.messages.get((singular, plural))
        if not isinstance(found, tuple) or len(found) != len(self.forms) or not all(found):
            raise MissingMessage(f"no {len(self.forms)} plural forms of '{singular}' in templates/{CATALOG}")
        return found[self.form_of(n)]


def _table(data: bytes | None, cache: str | None) -> tuple[dict, list, str, list]:
    """The catalog's messages, its plural forms, the gettext expression that picks one for a number, and the
    names of the months (as a date writes them), as Babel reads them from CLDR. Kept beside Jinja's compiled
    templates by the hash of the catalog and of Babel's version: importing Babel and loading its Arabic data is a
    third of the real site's build."""
    stored = None
    if cache is not None:
        stamp = importlib.util.find_spec("babel").origin
        key = hashlib.sha256((data or b"") + stamp.encode() + str(os.stat(stamp).st_mtime_ns).encode()).hexdigest()
        stored = Path(cache) / f"sitegen-catalog-{key[:32]}.json"
        try:
            saved = json.loads(stored.read_text(encoding="utf-8"))
            return ({_tuple(m): _tuple(s) for m, s in saved["messages"]}, saved["forms"], saved["plural"],
                    saved["months"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    messages, forms, plural, months = _from_babel(data)
    if stored is not None:
        try:
            partial = stored.with_suffix(f".{os.getpid()}")
            partial.write_text(json.dumps({"messages": list(messages.items()), "forms": forms, "plural": plural,
                                           "months": months}, ensure_ascii=False), encoding="utf-8")
            os.replace(partial, stored)
        except OSError:     # a cache that cannot be written is read from Babel next time too
            pass
    return messages, forms, plural, months


def _from_babel(data: bytes | None) -> tuple[dict, list, str, list]:
    from io import BytesIO

    from babel import Locale
    from babel.messages.pofile import read_po
    from babel.plural import to_gettext

    messages, language = {}, "ar"
    if data is not None:
        catalog = read_po(BytesIO(data))
        language = str(catalog.locale or language)
        messages = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    locale = Locale.parse(language)
    rule = locale.plural_form
    forms = [tag for tag in CLDR_ORDER if tag in rule.tags or tag == "other"]
    months = [locale.months["format"]["wide"][m] for m in range(1, 13)]
    return messages, forms, to_gettext(rule).split("plural=", 1)[1].rstrip(";"), months


def _tuple(value):
    return tuple(value) if isinstance(value, list) else value


def install_catalog(env: jinja2.Environment, templates: Path) -> Catalog:
    """_(), gettext() and ngettext() in every template, new-style: ngettext("%(num)s fact", "%(num)s facts", n)
    fills in num (and any other keyword) after choosing the form, escaping the values."""
    catalog = Catalog(templates / CATALOG, getattr(env.bytecode_cache, "directory", None))
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(catalog.gettext, catalog.ngettext, newstyle=True)
    env.globals["_"] = catalog.markup
    return catalog
