"""Promoting a hot standby to primary (`halo db promote`): the runbook's one database step.

Clients find the new primary by themselves: their libpq multi-host URLs list both servers with
`target_session_attrs=read-write`, so a pool's next connection lands on whichever accepts
writes. docs/scaling.md, "Replication and failover".
"""

from __future__ import annotations

import psycopg

PROMOTE_SQL = "SELECT pg_promote(wait => true, wait_seconds => %s)"
IN_RECOVERY_SQL = "SELECT pg_is_in_recovery()"


class NotAStandby(RuntimeError):
    """The server named is already a primary."""


def promote_standby(standby_owner_url: str, wait_s: int = 60) -> None:
    """Promote the standby at the URL (as the owner, who may run pg_promote) and wait until it
    accepts writes; NotAStandby when it is a primary already."""
    with psycopg.connect(standby_owner_url, autocommit=True) as conn:
        row = conn.execute(IN_RECOVERY_SQL).fetchone()
        if not row or not row[0]:
            raise NotAStandby("the server is not in recovery: it is a primary already")
        done = conn.execute(PROMOTE_SQL, (wait_s,)).fetchone()
        if not done or not done[0]:
            raise RuntimeError(f"the standby did not finish promotion within {wait_s} s")
