"""Guided scenarios that drive the engine (sample data, demos)."""
