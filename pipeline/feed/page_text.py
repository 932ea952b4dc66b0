"""The text of a polisen.se event page: its preamble and body, as the archive keeps them.

The page marks them with the classes `preamble` and `text-body` (the archive's html_preamble
and html_body). A page without either has changed shape: PageShapeError, never a guess.
"""

from __future__ import annotations

from html.parser import HTMLParser

PREAMBLE_CLASS = "preamble"
BODY_CLASS = "text-body"
# Elements that close themselves: they never open a nesting level.
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "source", "wbr"})
_BLOCKS = frozenset({"p", "div", "li", "h2", "h3", "h4", "br"})
MAX_PAGE_BYTES = 2_000_000


class PageShapeError(ValueError):
    """The page has neither a preamble nor a body where the parser looks for them."""


class _Sections(HTMLParser):
    """Collects the text inside the first element of each wanted class."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[str]] = {PREAMBLE_CLASS: [], BODY_CLASS: []}
        self.done: set[str] = set()
        self.open: list[tuple[str, int]] = []  # (class, depth at which it opened)
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._newline()
        if tag in _VOID:
            return
        self.depth += 1
        classes = set((dict(attrs).get("class") or "").split())
        for wanted in self.parts:
            if wanted in classes and wanted not in self.done and not self._inside(wanted):
                self.open.append((wanted, self.depth))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag in _BLOCKS:
            self._newline()
        while self.open and self.open[-1][1] >= self.depth:
            self.done.add(self.open.pop()[0])
        self.depth = max(0, self.depth - 1)

    def handle_data(self, data: str) -> None:
        for wanted, _ in self.open:
            self.parts[wanted].append(data)

    def _inside(self, wanted: str) -> bool:
        return any(name == wanted for name, _ in self.open)

    def _newline(self) -> None:
        for wanted, _ in self.open:
            self.parts[wanted].append("\n")


def page_text(html: bytes) -> str:
    """Preamble and body of an event page as plain text (paragraphs on their own lines)."""
    if len(html) > MAX_PAGE_BYTES:
        raise PageShapeError(f"page of {len(html)} bytes is larger than {MAX_PAGE_BYTES}")
    parser = _Sections()
    parser.feed(html.decode("utf-8", errors="replace"))
    parser.close()
    sections = [_clean("".join(parser.parts[name])) for name in (PREAMBLE_CLASS, BODY_CLASS)]
    text = "\n\n".join(section for section in sections if section)
    if not text:
        raise PageShapeError("no element of class 'preamble' or 'text-body' with text")
    return text


def _clean(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
