"""The handbook's Markdown: rendered by markdown-it-py, then sanitised by nh3.

Authors write Markdown, never HTML: raw HTML in the text is shown as text (markdown-it's
`html` option is off), and what the renderer makes is cleaned again by nh3 with a short list
of tags and attributes, so that no script, style, event handler or `javascript:` link can
reach a reader whatever the text holds. Deep nesting is cut off by markdown-it's
`maxNesting`, so 1,000 nested lists render as text instead of 1,000 levels of markup.
"""

from functools import cache
from html import unescape

import nh3
from markdown_it import MarkdownIt

# Headings, paragraphs, lists, links, emphasis, quotes, code and tables: what a routine needs.
TAGS = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr",
        "ul", "ol", "li", "a", "strong", "em", "blockquote", "code", "pre",
        "table", "thead", "tbody", "tr", "th", "td", "del",
    }
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}
URL_SCHEMES = frozenset({"https", "http", "mailto", "tel"})
# Lists and quotes inside each other deeper than this are shown as text.
MAX_NESTING = 40


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table").enable("strikethrough")
    parser.options["maxNesting"] = MAX_NESTING
    return parser


def too_deep(text: str) -> bool:
    """Whether the text nests lists or quotes deeper than MAX_NESTING (the rest would be lost)."""
    return any(token.level >= MAX_NESTING - 1 for token in _parser().parse(text))


def render(text: str) -> str:
    """Safe HTML for the Markdown `text`."""
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )


def plain(text: str) -> str:
    """The text without its markup, for search snippets and e-mail."""
    return unescape(nh3.clean(render(text), tags=set())).strip()
