"""A stand-in for the client of one run, for unit tests of what reads through it (no network, no Ansible)."""

from __future__ import annotations


class Lists:
    """Stands in for the client of one run: the lists a planner reads (by path), served through the run's cache."""

    def __init__(self, lists=None, cache=None):
        self.lists = dict(lists or {})
        self.cache = dict(cache or {})
        self.reads = []

    def cached(self, key, read):
        if key not in self.cache:
            self.cache[key] = read()
        return self.cache[key]

    def get_all(self, path, *conditions, params=None):
        self.reads.append(path)
        return [dict(record) for record in self.lists[path]]
