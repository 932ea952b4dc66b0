-- Downgrade of 0001_baseline: drop Halo's schemas and grants. Extensions (provisioning) and
-- roles (cluster-wide, shared by every database of the cluster) stay.
DROP SCHEMA IF EXISTS push, ops, tiles, analytics, risk, raw, ref CASCADE;
REVOKE ALL ON public.alembic_version FROM halo_api, halo_analyst;
