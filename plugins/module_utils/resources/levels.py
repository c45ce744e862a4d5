# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Permission levels: exactly None, My or All, as the settings API reports them."""

from __future__ import annotations

LEVELS = ("None", "My", "All")
CELLS = ("add", "edit", "delete", "inquire")
FIELDS = {"add": "addLevel", "edit": "editLevel", "delete": "deleteLevel", "inquire": "inquireLevel"}
_BY_KEY = {level.lower(): level for level in LEVELS}


def normalise_level(value, where):
    """'all' -> 'All'; Python None means 'leave this cell alone'; anything else names the field and the fix."""
    if value is None:
        return None
    level = _BY_KEY.get(str(value).strip().lower())
    if level is None:
        raise ValueError("%s: %r is not a permission level; use None, My or All" % (where, value))
    return level


def row_levels(row):
    """The four cells of a tenant settings row."""
    return {cell: row.get(field) for cell, field in FIELDS.items()}
