"""mitmproxy.contentviews.base: the View class a script subclasses, and the
helpers that turn text and pairs into a view's lines."""
import typing
from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar, Optional, Union

KEY_MAX = 30

TTextType = Union[str, bytes]
TViewLine = list[tuple[str, TTextType]]
TViewResult = tuple[str, Iterator[TViewLine]]


class View:
    """A content view: name, __call__(data, **metadata) returning
    (description, lines), and render_priority(data, **metadata), which Auto
    compares (Raw rates 0.1, a view for the content type 1)."""

    name: ClassVar[str]

    def __call__(
        self,
        data: bytes,
        *,
        content_type: Optional[str] = None,
        flow=None,
        http_message=None,
        **unknown_metadata,
    ) -> TViewResult:
        raise NotImplementedError()

    def render_priority(
        self,
        data: bytes,
        *,
        content_type: Optional[str] = None,
        flow=None,
        http_message=None,
        **unknown_metadata,
    ) -> float:
        return 0

    def __lt__(self, other):
        return self.name < other.name


def format_pairs(items: Iterable[tuple[TTextType, TTextType]]) -> Iterator[TViewLine]:
    """Each pair as a line: the key with a colon, padded to the widest key
    (at most KEY_MAX) plus two, styled "header", then the value."""
    items = list(items)
    width = min(max((len(k) for k, _ in items), default=0), KEY_MAX)
    for k, v in items:
        k = k + (b":" if isinstance(k, bytes) else ":")
        yield [("header", k.ljust(width + 2)), ("text", v)]


def format_dict(d: Mapping[TTextType, TTextType]) -> Iterator[TViewLine]:
    return format_pairs(d.items())


def format_text(text: TTextType) -> Iterator[TViewLine]:
    """One "text" line per line of text."""
    for line in text.splitlines():
        yield [("text", line)]


# typing is imported for scripts that annotate with base.typing (8.1.1 did).
__all__ = ["View", "KEY_MAX", "TViewResult", "TViewLine", "format_pairs", "format_dict",
           "format_text", "typing"]
