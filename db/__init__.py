"""Tendero data layer: settings, engine/session factory, models and migrations."""
