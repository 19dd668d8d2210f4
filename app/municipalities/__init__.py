"""Municipalities as tenants: which exist, which groups (a county, a police region) see several, and the
database role each caller's transactions run under (row-level security, migration 0021)."""
