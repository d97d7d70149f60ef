"""rich renderables as plain text for a terminal or a pipe: no colour codes, no trailing
blanks, at most a given width (the terminal's, capped; a fixed one when piped)."""

from __future__ import annotations

import io
import shutil
import sys

from rich.console import Console, RenderableType


def width_for_stdout(cap: int) -> int:
    """The terminal's width capped at `cap`, or `cap` when stdout is not a terminal."""
    return min(cap, shutil.get_terminal_size().columns) if sys.stdout.isatty() else cap


def render_text(*renderables: RenderableType, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    for renderable in renderables:
        console.print(renderable, highlight=False)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())
