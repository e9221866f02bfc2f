"""Helpers for the publish tests: the pinned npm checkers, an HTML page reader and a link crawler."""
