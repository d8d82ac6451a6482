"""Spatial weights and spatial statistics."""
