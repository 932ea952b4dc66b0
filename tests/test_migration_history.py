"""Released revisions are never edited: their hashes are held in migrations/released.sha256."""

from __future__ import annotations

from migrations.released import recorded, revision_files, sha256


def test_no_released_revision_file_was_changed_or_removed() -> None:
    present = {p.name: sha256(p) for p in revision_files()}
    for name, digest in recorded().items():
        assert name in present, f"released revision file {name} was removed"
        assert present[name] == digest, (
            f"released revision file {name} was edited: write a new revision instead "
            "(edit sql/, then `halo db revision NAME`)"
        )


def test_every_revision_file_is_recorded() -> None:
    unrecorded = sorted({p.name for p in revision_files()} - set(recorded()))
    assert unrecorded == [], f"record reviewed revisions with `halo db release`: {unrecorded}"


def test_the_baseline_is_released() -> None:
    assert {"0001_baseline.py", "0001_baseline.up.sql", "0001_baseline.down.sql"} <= set(recorded())
