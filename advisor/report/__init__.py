"""Renders domain results for people and programs: JSON, rich tables, CSV, Markdown. No Textual."""
