"""``asyncrepl check``: the static check for CI and pre-commit (files, folders, notebooks,
standard input), with ``# noqa``, ``[tool.asyncrepl]`` settings and four output formats."""

from __future__ import annotations

from asyncrepl.cli_check.command import main_check

__all__ = ["main_check"]
