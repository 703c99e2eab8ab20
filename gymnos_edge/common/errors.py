"""Errors a user can fix: the CLI prints their message and exits 1, without a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem with something the user supplied (a file, a flag, a value)."""


class ValidationError(UserError):
    """Several problems found in one file, all reported at once."""

    def __init__(self, source: str, problems: list[str], count: int | None = None):
        self.source = source
        self.problems = list(problems)
        self.count = len(self.problems) if count is None else count  # more than listed when repeats were cut
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {self.count} problem(s)\n{listing}")
