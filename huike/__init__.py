"""Huike (汇客): an open-source customer information system."""

__version__ = "0.1.0"
