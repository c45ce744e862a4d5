"""Read the vendor requirements out of the source documents themselves, to check the profiles against them.

Each vendor page (tests/fixtures/vendor_sources) has its own layout (space-separated rows, `|` tables, prose, indented rows), so each gets
its own small parser. Every parser returns a `Source`: rows keyed by (module, function) exactly as written, the
levels the document names per row (a cell it names no level for is absent: the profile must leave it out too, never
fill in None), the rows marked optional, and the customize list. vendors.md is read the same way: its matrix tables,
its "Customize" bullets and its summary table (section 5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import module_key
from simulator import catalogue

CELLS = ("add", "edit", "delete", "inquire")
LEVEL = r"(?:None|My|All)"
_FOUR = r"(%s) (%s) (%s) (%s)" % (LEVEL, LEVEL, LEVEL, LEVEL)
_MODULES = {module_key(row[1]): row[1] for row in catalogue.MODULES}


@dataclass
class Source:
    rows: dict = field(default_factory=dict)          # (module, function) -> {cell: level}; a missing cell is unmanaged
    optional: set = field(default_factory=set)        # (module, function) marked optional
    temporary: dict = field(default_factory=dict)     # (module, function) -> {cell: level}, setup-time only
    tables: list = field(default_factory=list)
    optional_tables: list = field(default_factory=list)
    assumed: bool = False                             # some level was not recorded (vendors.md ✓) and is taken as All
    disallow: list = field(default_factory=list)      # Table Setup entries to move to "Disallow access to these"
    cut: list = field(default_factory=list)           # where the text stops: a row cut off, a module not reached
    suspect: list = field(default_factory=list)       # (module, function) whose cells cannot be placed
    unlevelled: list = field(default_factory=list)    # (module, function) listed with every cell empty
    optional_cells: dict = field(default_factory=dict)  # (module, function) -> {cell: level} for an optional feature
    header: dict = field(default_factory=dict)        # Vendor page, Address, Also, Version, Retrieved, Completeness

    def add(self, module, function, levels, optional=False):
        key = (module, function)
        if key in self.rows:
            raise ValueError("row %s / %s appears twice in the source" % key)
        self.rows[key] = dict(levels)
        if optional:
            self.optional.add(key)


def _lines(text):
    """Lines with every run of whitespace (non-breaking spaces included) collapsed to one space."""
    return [" ".join(raw.split()) for raw in text.splitlines()]


def _is_module(name):
    return module_key(name) in _MODULES


def _split_module(body, expected=None):
    """'Time & Expense Time Entry Billable Option' -> ('Time & Expense', 'Time Entry Billable Option')."""
    for module in sorted(_MODULES.values(), key=len, reverse=True):
        if body.startswith(module + " "):
            if expected is not None and module != expected:
                raise ValueError("row %r sits under 'Module: %s'" % (body, expected))
            return module, body[len(module) + 1:]
    raise ValueError("row %r starts with no ConnectWise module name" % body)


def _after(lines, start, stop, keep):
    """The lines after the first one starting with `start`, up to the first starting with `stop`, kept by `keep`."""
    out, on = [], False
    for line in lines:
        if not on:
            on = line.startswith(start)
            continue
        if line.startswith(stop):
            break
        if keep(line):
            out.append(line)
    if not on:
        raise ValueError("no line starts with %r" % start)
    return out


def parse_space_rows(text):
    """CW Kanban (cw_kanban.txt): 'Module Function Add Edit Delete Inquire Comments' rows under 'Module: X' headers."""
    src, header = Source(), None
    for line in _lines(text):
        match = re.match(r"^Module: (.+)$", line)
        if match:
            header = match.group(1)
            continue
        match = re.match(r"^(.+?) %s(?= |$)" % _FOUR, line)
        if match:
            module, function = _split_module(match.group(1), header)
            src.add(module, function, zip(CELLS, match.groups()[1:]))
    return src


def parse_pipe_rows(text):
    """TopLeft (topleft.txt): '| Module | Description | Add | Edit | Delete | Inquire | Comments |' tables."""
    src = Source()
    for line in _lines(text):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0] != "Module" and not cells[0].startswith("---"):
            if not all(re.fullmatch(LEVEL, c) for c in cells[2:6]):
                raise ValueError("row with an unreadable level: %r" % line)
            src.add(cells[0], cells[1], zip(CELLS, cells[2:6]))
    return src


def parse_inquire_rows(text):
    """TimeSanity (timesanity.txt): '| Module | Action | Inquire Level |' rows. The page says no function requires
    Add/Edit/Delete and leaves those columns out: not required is not None, so those cells are absent."""
    if "None of the modules require Add/Edit/Delete" not in text:
        raise ValueError("the page no longer says Add/Edit/Delete are not required")
    lines = _lines(text)
    src = Source()
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] != "Module" and "|" in line:
            if not re.fullmatch(LEVEL, cells[2]):
                raise ValueError("row with an unreadable level: %r" % line)
            src.add(cells[0], cells[1], [("inquire", cells[2])])
    heading = "TimeSanity requires access to the following under System > Table Setup > Customize"
    src.tables = [line[2:] for line in _after(lines, heading, "Create an API User", lambda l: l.startswith("- "))]
    return src


def parse_prose(text):
    """Mobius (mobius.txt): 'Module > Function' lines, each followed by 'Add - All'-style lines for the cells it needs
    (only those: a cell the text does not name is absent)."""
    lines = _lines(text)
    src, current, levels = Source(), None, None

    def close():
        if current is not None:
            if not levels:
                raise ValueError("%s > %s names no level" % current)
            src.add(current[0], current[1], [(cell, levels[cell]) for cell in CELLS if cell in levels])

    for line in lines:
        match = re.match(r"^([^>]+?)\s*>\s*([^>]+)$", line)
        if match and _is_module(match.group(1)):
            close()
            current, levels = (match.group(1), match.group(2)), {}
            continue
        match = re.match(r"^(Add|Edit|Delete|Inquire)\s*-\s*(%s)$" % LEVEL, line)
        if match:
            if current is None:
                raise ValueError("a level line before any function: %r" % line)
            cell = match.group(1).lower()
            if cell in levels:
                raise ValueError("%s given twice for %s > %s" % (cell, current[0], current[1]))
            levels[cell] = match.group(2)
    close()
    src.tables = _after(lines, "Allow Access to", "Step", lambda l: "/" in l)
    return src


def parse_indented_rows(text):
    """ScalePad LM (lifecycle_manager.txt): 'Function [*] Add Edit Delete Inquire' rows under module header lines; * = optional."""
    lines = _lines(text)
    body = _after(lines, "Module Add Level Edit Level Delete Level Inquire Level", "Note:", bool)
    src, module = Source(), None
    for line in body:
        match = re.match(r"^(.+?)( \*)? %s$" % _FOUR, line)
        if match:
            if module is None:
                raise ValueError("row before any module header: %r" % line)
            src.add(module, match.group(1), zip(CELLS, match.groups()[2:]), optional=bool(match.group(2)))
        elif _is_module(line):
            module = line
        else:
            raise ValueError("unreadable line in the permissions table: %r" % line)
    src.tables = _after(lines, "Allow Access to these", "Your Table Setup", lambda l: "/" in l)
    return src


# --- vendors.md ------------------------------------------------------------------------------------------

def md_sections(text):
    """'#### Heading' -> its lines, for every vendor heading."""
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("#"):
            current = line[5:].strip() if line.startswith("#### ") else None
            if current is not None:
                sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return sections


def md_section(sections, heading):
    """The one section whose heading is `heading`, possibly followed by a parenthesis or ' — PARTIAL'."""
    found = [h for h in sections if h == heading or h.startswith(heading + " ")]
    if len(found) != 1:
        raise KeyError("vendors.md has %d sections headed %r" % (len(found), heading))
    return found[0], sections[found[0]]


def md_bullets(lines):
    """Top-level '- ' bullets, continuation lines joined."""
    bullets = []
    for line in lines:
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif line.startswith("  ") and bullets and line.strip() and not line.strip().startswith("- "):
            bullets[-1] += " " + line.strip()
    return bullets


def md_urls(lines):
    """The addresses of the section's 'Source:'/'Sources:' paragraph (a repository becomes its GitHub address)."""
    text, on = [], False
    for line in lines:
        if line.startswith(("Source:", "Sources:")):
            on = True
        elif not line.strip() or line.startswith("|"):
            on = False
        if on:
            text.append(line)
    text = " ".join(text)
    urls = [u.rstrip(".;,)") for u in re.findall(r"https?://\S+", text)]
    urls += ["https://github.com/" + r for r in re.findall(r"repository ([\w.-]+/[\w.-]+)", text)]
    return urls


def parse_md_matrix(lines, partial=False):
    """A vendors.md section's matrix and Table Setup customize bullets, with the cell notation applied. A blank cell
    ("None / not required") and N/A name no level: absent, like the cells a page leaves unnamed. ``partial``: a
    PARTIAL matrix, whose row with an unknown level ("?") is the cut (recorded in ``cut``, not a row)."""
    src = Source()
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 6 or cells[0] in ("Module", "---"):
            continue
        if partial and "?" in cells[2:]:
            src.cut.append("%s / %s" % (cells[0], cells[1]))
            continue
        levels, temporary = [], []
        for cell, value in zip(CELLS, cells[2:]):
            if value == "?":
                raise ValueError("%s / %s has an unknown level: no profile may be built" % (cells[0], cells[1]))
            if value in ("", "N/A"):
                continue
            if value == "All (temporary)":
                temporary.append((cell, "All"))
                continue
            if value == "\u2713":
                src.assumed = True
                value = "All"
            levels.append((cell, value))
        if not re.fullmatch(r"(%s)*" % LEVEL, "".join(value for _cell, value in levels)):
            raise ValueError("unreadable level in %r" % line)
        src.add(cells[0], cells[1], levels)
        if temporary:
            src.temporary[(cells[0], cells[1])] = dict(temporary)
    for bullet in md_bullets(lines):
        if bullet.startswith("Customize"):
            head = bullet.split(":", 1)[0]
            entries = [e for e in re.findall(r"`([^`]+)`", bullet) if "/" in e]
            (src.optional_tables if "optional" in head else src.tables).extend(entries)
    return src


def md_summary(text):
    """Section 5's table: vendor -> (completeness, functions, customize list)."""
    rows, on = {}, False
    for line in text.splitlines():
        if line.startswith("## "):
            on = line.startswith("## 5.")
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if on and line.startswith("|") and len(cells) == 4 and cells[0] not in ("Vendor", "---"):
            rows[cells[0]] = tuple(cells[1:])
    return rows


# --- the vendor pages transcribed as one table each ----------------------------------------------------------------

# A function's trailing annotations: "(customize)", "(*)" (can be customized), "(sic, singular)", "(cut)", "*".
_ANNOTATION = re.compile(r"\s*(?:\((?:customize|\*|sic, singular|cut)\)|\*)$", re.IGNORECASE)
_CELL = re.compile(r"^(?P<level>all|none|my)(?:\s*\((?P<note>[^)]*)\))?$", re.IGNORECASE)
_HEADER = re.compile(r"^(Vendor page|Address|Also|Version|Retrieved|Completeness): (.*)$")
_CUT = ("(cut)", "(not reached)", "(rest cut)", "\u2026")
EMPTY = ("", "*(blank)*", "(no column)", "N/A")


def _strip_function(name):
    previous = None
    while previous != name:
        previous, name = name, _ANNOTATION.sub("", name).strip()
    return name


def _cell(value, version):
    """(level or None, optional): a cell as the transcription writes it (see README.md: the notation)."""
    value = value.strip()
    if value in EMPTY or value.startswith("*(row has only"):
        return None, False
    if value == "\u2713":
        return "ask", False
    if value == "-":  # the page writes "-" for a level to leave at None
        return "None", False
    if value == "(cut)":
        return None, False
    match = _CELL.match(value)
    if not match:
        raise ValueError("unreadable cell %r" % value)
    level, note = match.group("level").capitalize(), match.group("note")
    if note is None:
        return level, False
    if note == "\u2020":  # footnote: needed only for an optional feature
        return level, True
    if version is not None and version in note:  # "(21.0 only)", "(newer)", "(newer/one older)"
        return level, False
    if version is None:
        raise ValueError("cell %r names versions: give the version the profile follows" % value)
    return None, False


def parse_table(text, version=None):
    """A vendor page transcribed as one '| Module | Function | Add | Edit | Delete | Inquire | ... |' table, with its
    header lines and the page's Table Setup customize bullets. The notation (README.md): a blank cell, "*(blank)*",
    "(no column)" and N/A name no level (absent: left alone); "✓" a level the page names without a value ("ask");
    "-" None; upper or lower case levels as the page writes them; "[Module]" a module the page does not name (the
    profile writes it without brackets); "(†)" after a level: needed only for an optional feature (an optional cell);
    a "(cut)"/"…" function or "(rest cut)" module: the text stops there; a "position suspect" note: the page's
    rendering does not say which cells the row's values belong to (the row is not known). An extra column named
    Status marks optional rows ("optional ..."); one named Version or Versions selects the rows and cells of
    ``version``."""
    src = Source()
    lines = text.splitlines()
    columns = None
    for line in lines:
        match = _HEADER.match(line)
        if match and columns is None:
            src.header[match.group(1)] = match.group(2)
            continue
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:6] == ["Module", "Function", "Add", "Edit", "Delete", "Inquire"]:
            if columns is not None:
                raise ValueError("the page holds a second permission table")
            columns = cells
            continue
        if columns is None or set(cells[0]) <= {"-"}:
            continue
        extra = dict(zip(columns[6:], cells[6:]))
        module, function = cells[0], cells[1]
        if any(mark in module or mark in function for mark in _CUT) or function.startswith("("):
            src.cut.append("%s / %s" % (module, function))
            continue
        module = module[1:-1] if module.startswith("[") and module.endswith("]") else module.rstrip("*")
        function = _strip_function(function)
        versions = extra.get("Version") or extra.get("Versions")
        if versions is not None:
            if version is None:
                raise ValueError("the table lists versions: give the version the profile follows")
            if not (versions == "all" or versions.startswith("all;") or version in versions):
                continue
        if "position suspect" in extra.get("Note", ""):
            src.suspect.append((module, function))
            continue
        if any(value.strip() == "(cut)" for value in cells[2:6]):
            src.cut.append("%s / %s" % (module, function))
        levels, optional_cells = [], []
        for cell, value in zip(CELLS, cells[2:6]):
            level, optional = _cell(value, version)
            if level is not None:
                (optional_cells if optional else levels).append((cell, level))
        if not levels and not optional_cells:
            if any(value.strip() == "(cut)" for value in cells[2:6]):
                continue
            src.unlevelled.append((module, function))
            continue
        row_optional = extra.get("Status", "").startswith("optional")
        if levels:
            src.add(module, function, levels, optional=row_optional)
        if optional_cells:
            src.optional_cells[(module, function)] = dict(optional_cells)
    if columns is None:
        raise ValueError("no '| Module | Function | Add | Edit | Delete | Inquire |' table")
    _customize(src, lines)
    return src


def _customize(src, lines):
    """The Table Setup customize entries: `Category / Table` in a bullet about Table Setup; to disallow where the
    bullet says so."""
    for line in lines:
        entries = re.findall(r"`([^`]+ / [^`]+)`", line)
        if not entries or "Table Setup" not in line:
            continue
        (src.disallow if "Disallow" in line else src.tables).extend(entries)
