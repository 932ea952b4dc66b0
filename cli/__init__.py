"""The `halo` command line for ops: database, migrations, serving, jobs."""
