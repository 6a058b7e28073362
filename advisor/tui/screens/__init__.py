"""Screens of the advisor TUI, one per module."""
