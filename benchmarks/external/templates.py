"""Jinja2 text of an external system's scenario section: its config template, commands and URLs.

Rendering is strict (an undefined variable is an error, not an empty string), so a template that does
not render stops the run before anything is started, with the file, the line and the YAML path. Commands
are rendered, then split like a shell would (``shlex``) and run without a shell: a camera URL cannot
turn into a second command. ``quote`` quotes a value for such a command line.
"""
from __future__ import annotations

import shlex
import traceback
from pathlib import Path
from typing import Any

import jinja2

from common.errors import InputError

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
_ENV.filters["quote"] = lambda v: shlex.quote(str(v))


def _template_line(exc: BaseException, name: str) -> int | None:
    """The template line an error was raised at (Jinja2 maps its frames to the template's lines)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.lineno
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == name]
    return lines[-1] if lines else None


def render(text: str, variables: dict[str, Any], *, name: str, where: str) -> str:
    """Render ``text`` (the template called ``name``) or raise an InputError naming where it failed."""
    try:
        return _compile(text, name).render(**variables)
    except jinja2.TemplateError as e:
        line = _template_line(e, name)
        at = f"{name}, line {line}" if line else name
        raise InputError(f"the template does not render: {e.message or e} ({at}); template variables: "
                         f"{', '.join(sorted(variables))}", where=where) from None


def _compile(text: str, name: str) -> jinja2.Template:
    code = _ENV.compile(text, name=name, filename=name)
    return jinja2.Template.from_code(_ENV, code, _ENV.make_globals(None))


def render_file(path: Path, variables: dict[str, Any], *, where: str) -> str:
    if not path.is_file():
        raise InputError(f"template file {path} does not exist", where=where)
    return render(path.read_text(), variables, name=str(path), where=where)


def command(text: str, variables: dict[str, Any], *, where: str) -> list[str]:
    """A command line of the scenario, rendered and split into arguments (run without a shell)."""
    rendered = render(text, variables, name=where, where=where)
    try:
        argv = shlex.split(rendered)
    except ValueError as e:
        raise InputError(f"the command does not split into arguments ({e}): {rendered!r}", where=where) from None
    if not argv:
        raise InputError("the command renders to nothing", where=where)
    return argv
