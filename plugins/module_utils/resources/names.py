# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Match the module, function and table names vendors write to the names a tenant reports.

Vendors spell the same ConnectWise function many ways ("Service Tickets – Dependencies",
"Service Ticket- Dependencies", "Time Entries", "Product Entry"...). Names are folded to a key
(case, dashes, spacing, "&"/"and", plurals, "_") and a small alias table covers real renames and
misspellings. Matching is always within a module: "Reports" exists in several.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_WORD = re.compile(r"[a-z0-9]+|/")

# Renames and misspellings, as written: (module, vendor's name) -> the tenant's name. Folded at import.
_RENAMES = (
    ("Procurement", "Product Entry", "Product Catalog"),            # the name before release 2017.5
    ("Procurement", "Purchase Orders (Aiso)", "Purchase Orders"),   # newest Mobius page, as printed
    ("Companies", "Manage Documents", "Manage Attachments"),        # TopLeft's library
    ("Companies", "User Scenarios", "UserCentric"),                 # an older Barracuda list
    ("Project", "Project Ticket - Dependancies", "Project Ticket - Dependencies"),
    ("System", "Security", "Security Roles"),                       # N-able Passportal
    ("System", "Setup Tables", "Table Setup"),                      # Hatz AI
)
_MODULE_ALIASES = {}


def _words(text):
    text = unicodedata.normalize("NFKC", str(text)).translate(_DASHES).lower()
    text = text.replace("(s)", "").replace("&", " and ").replace("_", " ")
    return _WORD.findall(text)


def _singular(word):
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=65536)
def _fold(text):
    return " ".join(_singular(w) for w in _words(text)).replace(" / ", "/")


def fold(text):
    """The comparison key of a name: 'Service Tickets – Dependencies' -> 'service ticket dependency'. Remembered per
    name: every tenant's catalogue names the same functions, so a fleet folds each name once, not once per tenant."""
    return _fold(text) if isinstance(text, str) else _fold(str(text))


_FUNCTION_ALIASES = {(fold(m), fold(old)): fold(new) for m, old, new in _RENAMES}


def module_key(name):
    key = fold(name)
    return _MODULE_ALIASES.get(key, key)


def function_key(module, function):
    mkey = module_key(module)
    key = fold(function)
    return mkey, _FUNCTION_ALIASES.get((mkey, key), key)


def table_key(entry):
    """'Service/ Service Boards' -> ('service', 'service board'); the category is the part before the first '/'."""
    text = str(entry)
    if "/" not in text:
        raise ValueError("a Table Setup entry is written 'Category / Table', not %r" % entry)
    category, table = text.split("/", 1)
    return fold(category), fold(table)


class UnknownName(ValueError):
    """A name the tenant does not have, with the closest names it does have."""

    def __init__(self, kind, wanted, suggestions, known_modules=None):
        self.kind = kind
        self.wanted = wanted
        self.suggestions = suggestions
        text = "unknown %s %r" % (kind, wanted)
        if suggestions:
            text += "; closest on this tenant: %s" % ", ".join(repr(s) for s in suggestions)
        elif known_modules:
            text += "; this tenant's modules are: %s" % ", ".join(sorted(known_modules))
        super().__init__(text)


class NameIndex:
    """Tenant rows indexed by folded name, resolving vendor spellings to the tenant's own row."""

    def __init__(self, rows, key, label):
        self._rows = {}
        self._labels = {}
        for row in rows:
            k = key(row)
            self._rows.setdefault(k, row)
            self._labels[k] = label(row)

    def get(self, k):
        return self._rows.get(k)

    def labels(self):
        return dict(self._labels)


class FunctionIndex(NameIndex):
    """Role setting rows by (module, function)."""

    def __init__(self, rows):
        super().__init__(rows, lambda r: function_key(r["moduleName"], r["moduleFunctionName"]),
                         lambda r: "%s / %s" % (r["moduleName"], r["moduleFunctionName"]))
        self._modules = {module_key(r["moduleName"]): r["moduleName"] for r in rows}

    def resolve(self, module, function):
        """The tenant's row for a vendor's module and function name; UnknownName with suggestions otherwise."""
        k = function_key(module, function)
        row = self.get(k)
        if row is not None:
            return row
        wanted = "%s / %s" % (module, function)
        if k[0] not in self._modules:
            close = difflib.get_close_matches(k[0], list(self._modules), n=3, cutoff=0.6)
            raise UnknownName("module", module, [self._modules[c] for c in close], self._modules.values())
        same_module = {fk: label for (mk, fk), label in self.labels().items() if mk == k[0]}
        close = difflib.get_close_matches(k[1], list(same_module), n=3, cutoff=0.5)
        raise UnknownName("module function", wanted, [same_module[c] for c in close])


class TableIndex(NameIndex):
    """Setup tables ('Category / Table') by folded name."""

    def __init__(self, rows):
        super().__init__(rows, lambda r: (fold(r["category"]), fold(r["name"])), lambda r: "%s / %s" % (r["category"], r["name"]))
        self._by_id = {str(r["id"]): r for r in rows}
        self._by_name = {}
        for row in rows:
            self._by_name.setdefault(fold(row["name"]), []).append(row)

    def match_item(self, item):
        """The setup screens a customizeItems ``itemIdentifier`` names, and the form it names them in: the screen's
        id, "Category / Name", or the name alone (no public source says which a tenant uses). The name alone may fit
        several screens. ``(None, [])`` when it names none."""
        text = str(item if item is not None else "").strip()
        if text in self._by_id:
            return "id", [self._by_id[text]]
        if "/" in text:
            row = self.get(table_key(text))
            if row is not None:
                return "label", [row]
        rows = self._by_name.get(fold(text)) if text else None
        return ("name", list(rows)) if rows else (None, [])

    def resolve(self, entry):
        k = table_key(entry)
        row = self.get(k)
        if row is not None:
            return row
        labels = self.labels()
        flat = {"%s/%s" % key: label for key, label in labels.items()}
        close = difflib.get_close_matches("%s/%s" % k, list(flat), n=3, cutoff=0.5)
        raise UnknownName("table", entry, [flat[c] for c in close])
