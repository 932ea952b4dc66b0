"""A primary and a synchronous hot standby on throwaway clusters (never the shared server),
with a migrated database seeded with a small city: what the replication tests and
bench/bench_replica.py both stand on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support import pg_cluster
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.live_server import free_port
from tests.support.opstools import seed_small_city


@dataclass(frozen=True)
class ReplicaPair:
    primary: pg_cluster.Cluster
    standby: pg_cluster.Cluster
    db: ScratchDatabase


@contextmanager
def synchronous_pair(prefix: str) -> Iterator[ReplicaPair]:
    """Create both clusters, the seeded database on the primary, and the standby streaming
    from it; destroy both after, whatever happened."""
    primary = pg_cluster.Cluster(f"{prefix}primary-{free_port()}", pg_cluster.cluster_port())
    primary.create()
    standby = None
    try:
        factory = DatabaseFactory(primary.url("owner"), primary.url("api"), primary.url("analyst"))
        db = factory.migrated_template()
        seed_small_city(db.owner_url)
        standby = primary.create_standby(
            f"{prefix}standby-{free_port()}", pg_cluster.cluster_port()
        )
        # Synchronous replication: a commit returns once the standby has flushed it, so an
        # acknowledged report survives the primary's loss (docs/scaling.md). Set once the
        # standby runs: without one, every commit would wait.
        primary.superuser_sql("ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (*)'")
        primary.superuser_sql("SELECT pg_reload_conf()")
        yield ReplicaPair(primary, standby, db)
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()
