"""The outcome of an ingestion run: rows inserted, updated, unchanged, rejected by reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Rejections kept in full for the report; the rest are only counted.
MAX_KEPT_REJECTIONS = 1000


@dataclass(frozen=True)
class Rejection:
    """One input record that was not stored: where it was, why, and the detail."""

    where: str
    reason: str
    detail: str


@dataclass
class IngestSummary:
    """Counts of one run (one or more batches); `line()` is the closing summary line."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    unknown_types: Counter[str] = field(default_factory=Counter)

    def reject(self, where: str, reason: str, detail: str) -> None:
        """Count a rejected record and keep its detail (up to MAX_KEPT_REJECTIONS)."""
        self.rejected[reason] += 1
        if len(self.rejections) < MAX_KEPT_REJECTIONS:
            self.rejections.append(Rejection(where, reason, detail))

    def warn(self, reason: str) -> None:
        """Count a stored record that needed a fallback (e.g. an unknown type)."""
        self.warnings[reason] += 1

    def add(self, other: IngestSummary) -> None:
        """Add another summary's counts to this one."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.update(other.rejected)
        self.warnings.update(other.warnings)
        self.unknown_types.update(other.unknown_types)
        room = MAX_KEPT_REJECTIONS - len(self.rejections)
        self.rejections.extend(other.rejections[: max(room, 0)])

    @property
    def stored(self) -> int:
        """Records now in the database from this run (inserted, updated or unchanged)."""
        return self.inserted + self.updated + self.unchanged

    def line(self) -> str:
        """`inserted 3, updated 1, unchanged 7650, rejected 2 (outside_region 2)`."""
        text = (
            f"inserted {self.inserted}, updated {self.updated}, unchanged {self.unchanged}, "
            f"rejected {sum(self.rejected.values())}"
        )
        if self.rejected:
            text += f" ({_counts(self.rejected)})"
        if self.warnings:
            text += f"; warnings: {_counts(self.warnings)}"
        return text

    def as_dict(self) -> dict[str, object]:
        """The counts as JSON-ready data (for ops.job_runs.details)."""
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": dict(self.rejected),
            "warnings": dict(self.warnings),
            "unknown_types": dict(self.unknown_types.most_common(50)),
        }


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counter.items()))
