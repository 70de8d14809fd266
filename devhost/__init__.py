"""Local host that runs a Python v2-model Functions app without Core Tools."""

from devhost import ast_guard

ast_guard.install()
