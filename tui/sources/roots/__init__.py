"""Roots: the places runs are read from (a local folder; object stores and SSH hosts to come)."""
