"""Data-quality findings of a log load: what was wrong, where, and what was done about it.

Every finding is an :class:`Issue` naming the check, the plant tag, its channel, the first
offending row (1-based data row of the source file or, for the long layout, of the long table)
with its value and local time, how many rows it concerns and the action taken. Nothing is dropped
silently: each cleaned sample is counted in exactly one issue. Warnings are also raised as
:class:`DataQualityWarning` (one per issue) so that they show in a console or a pytest run.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field

from sim.errors import InputError


class LogError(InputError):
    """A log cannot be used at all (unreadable file, no mapped tag present, no timestamps)."""


class DataQualityWarning(UserWarning):
    """A defect in a log that was cleaned or is reported (see the data-quality report)."""


@dataclass(frozen=True)
class Issue:
    """One finding. ``rows`` lists up to 20 offending rows; ``count`` is how many there are."""

    check: str
    tag: str
    channel: str
    message: str
    action: str
    severity: str = "warning"
    row: int | None = None
    value: float | str | None = None
    time: str | None = None
    count: int = 1
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = f" at row {self.row}" if self.row is not None else ""
        when = f" ({self.time})" if self.time else ""
        return f"[{self.check}] tag {self.tag!r} -> {self.channel}{where}{when}: {self.message}; {self.action}"


@dataclass
class DataQualityReport:
    """All findings of one load, plus per-channel sample counts before and after cleaning."""

    issues: list[Issue] = field(default_factory=list)
    samples: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, issue: Issue, emit: bool = True) -> None:
        self.issues.append(issue)
        if emit and issue.severity == "warning":
            warnings.warn(DataQualityWarning(str(issue)), stacklevel=3)

    def by_check(self, check: str) -> list[Issue]:
        return [i for i in self.issues if i.check == check]

    def to_dict(self) -> dict:
        counts: dict[str, int] = {}
        for i in self.issues:
            counts[i.check] = counts.get(i.check, 0) + 1
        return {"issue_counts": counts, "samples": self.samples, "issues": [asdict(i) for i in self.issues]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_text(self) -> str:
        """One line per issue, then the per-channel sample counts."""
        lines = [str(i) for i in self.issues] or ["no data-quality issues"]
        for ch, s in self.samples.items():
            lines.append(f"{ch}: {s['raw']} samples, {s['kept']} kept, {s['raw'] - s['kept']} removed")
        return "\n".join(lines)
