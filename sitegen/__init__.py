"""A static site generator for a cited, right-to-left Arabic explainer."""
from .pipeline import Report, build

__all__ = ["build", "Report"]
