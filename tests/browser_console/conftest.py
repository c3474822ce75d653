"""Fixtures of this folder live in console_support.py, so its helpers can be imported by that unique
name (a plain `from conftest import` picks whichever conftest was imported first)."""

from console_support import *  # noqa: F403
