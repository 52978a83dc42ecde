"""The terminal view of `mteval inspect`: segments with flagged spans, a word diff and sentence scores.

On a terminal, flags are highlighted by severity and the diff is coloured; in plain text (a pipe) the same
content is written without escape codes, the diff in wdiff style (`[-ref words-]{+hyp words+}`), one line per
field (no wrapping, so `grep` sees whole hypotheses).
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..flags.base import Flag
from ..runs.reader import CorpusView
from .select import Selection
from .worddiff import word_diff

FLAG_STYLES = {"major": "bold white on red", "minor": "black on yellow"}
DIFF_STYLES = {"=": "", "-": "red strike", "+": "green"}


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def highlight(hypothesis: str, flags: list[Flag]) -> Text:
    """The hypothesis with each flagged span styled by severity (a major span wins over an overlapping minor)."""
    text = Text(hypothesis)
    for flag in sorted(flags, key=lambda f: f.severity != "minor"):
        text.stylize(FLAG_STYLES[flag.severity], flag.start, flag.end)
    return text


def diff_text(reference: str, hypothesis: str, plain: bool) -> Text:
    text = Text()
    for i, (op, words) in enumerate(word_diff(reference, hypothesis)):
        if i:
            text.append(" ")
        if plain and op != "=":
            words = f"[-{words}-]" if op == "-" else f"{{+{words}+}}"
        text.append(words, style=DIFF_STYLES[op])
    return text


def _flag_line(flag: Flag) -> Text:
    line = Text("! ")
    line.append(f"{flag.severity} {flag.kind}", style=FLAG_STYLES[flag.severity])
    confidence = "" if flag.confidence is None else f" {flag.confidence:.2f}"
    line.append(f"{confidence} [{flag.start}:{flag.end}] {flag.text!r}: {flag.message}")
    return line


class _Block:
    """Label/content rows: a wrapping grid on a terminal, one unwrapped line per row in plain text."""

    def __init__(self, console: Console, plain: bool) -> None:
        self.console, self.plain = console, plain
        self.grid = self._grid()

    @staticmethod
    def _grid() -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        return grid

    def row(self, label: str, content: Text | str) -> None:
        content = content if isinstance(content, Text) else Text(content)
        if self.plain:
            self.console.print(Text(f"{label:<9} ") + content, soft_wrap=True)
        else:
            self.grid.add_row(Text(label), content)

    def flush(self) -> None:
        if not self.plain and self.grid.rows:
            self.console.print(self.grid)
        self.grid = self._grid()


def render_segment(console: Console, view: CorpusView, systems: list[str], i: int, plain: bool) -> None:
    """Source, references, then per system: scores, highlighted hypothesis, word diff and the flag list."""
    title = f"{view.name} · segment {i} · id {view.ids[i]}"
    if view.documents[i]:
        title += f" · doc {view.documents[i]}"
    if plain:
        console.print(Text(f"== {title}"), soft_wrap=True)
    else:
        console.rule(Text(title, style="bold cyan"), align="left")
    block = _Block(console, plain)
    block.row("source", view.sources[i])
    refs = view.references[i]
    for r, ref in enumerate(refs):
        block.row("ref" if len(refs) == 1 else f"ref {r + 1}", ref)
    for system in systems:
        hyp = view.hypotheses[system][i].strip()
        flags = view.flags_of(system, i)
        scores = " · ".join(f"{m} {_fmt(view.sentence[system][m][i])}" for m in view.metrics)
        block.row(system, Text(scores, style="dim"))
        block.row("  hyp", highlight(hyp, flags))
        if refs:
            block.row("  diff", diff_text(refs[0], hyp, plain))
        for flag in sorted(flags, key=lambda f: -(f.confidence or 0.0)):  # most certain first
            block.row("", _flag_line(flag))
    block.flush()
    console.print()


def render(console: Console, selections: list[Selection]) -> int:
    """Print every selected segment; returns how many were shown."""
    plain = console.color_system is None
    shown = 0
    for sel in selections:
        for i in sel.segments:
            render_segment(console, sel.corpus, sel.systems, i, plain)
            shown += 1
    return shown
