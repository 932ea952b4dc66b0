"""Halo's configuration: settings read from the environment (prefix HALO_)."""
