# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What converging one resource found and did: writes made, before and after, and the steps the API cannot do.

Each step's own findings are typed fields of its outcome (RoleOutcome, PermissionsOutcome, TablesOutcome,
MemberOutcome, KeyOutcome, declared beside the step that fills them): the engine reads attributes, and ``shown()`` is
what a single module adds of them to its result."""

from __future__ import annotations

from dataclasses import dataclass, field

MASK = "********"


@dataclass
class Outcome:
    """The result of converging one resource, shared by every module (and by whole-profile runs)."""
    resource: str
    changed: bool = False
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    pending: list = field(default_factory=list)
    manual_steps: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def wrote(self):
        """Record a write that was made (or, in check mode, would be made through the API)."""
        self.changed = True

    def need(self, step, item):
        """A change the API cannot make: a step for a person and its machine-readable twin."""
        self.manual_steps.append(step)
        self.pending.append(item)

    @property
    def differs(self):
        return self.before != self.after

    @property
    def drifted(self):
        """A change a person must make is known to be needed (a Table Setup step without the member's keys is not)."""
        return any(item.get("verified", True) for item in self.pending)

    def reports_change(self, check_mode):
        """``changed``: a write made; in check mode also a difference left to a person, since --check asks whether
        the tenant would change, whoever changes it. Outside check mode such a step is not a change made (the task
        fails on it unless allow_pending)."""
        return self.changed or (check_mode and self.drifted)

    def shown(self):
        """The step's own fields in a module's result (none here; each step's outcome names its own)."""
        return {}

    def result(self, with_diff, check_mode=False):
        data = self.shown()
        data.update(changed=self.reports_change(check_mode), pending=self.pending, manual_steps=self.manual_steps)
        if with_diff and (self.changed or self.pending or self.differs):
            data["diff"] = {"before": self.before, "after": self.after,
                            "before_header": self.resource, "after_header": self.resource}
        return data
