"""Reusable widgets of the advisor TUI, one per module."""
