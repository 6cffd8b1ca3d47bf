"""Jinja2 templates for every output format; installed as the package ``reports.templates``."""
