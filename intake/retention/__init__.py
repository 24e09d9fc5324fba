"""Removing the personal data of applications that ended long ago."""
