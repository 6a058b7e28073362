"""advisor: a terminal procurement advisor for AI inference accelerators.

The package root imports nothing heavy; `advisor.api` is the Python API.
"""

__version__ = "0.1.0"
