"""Outputs layer: tables, figures and the report."""
