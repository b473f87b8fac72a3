"""What a report's HTML holds: its sections, images, links and tags (for the report tests)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.images, self.urls, self.tags = [], [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        self.urls.extend(attrs[k] for k in ("src", "href") if k in attrs)


def parse_html(text):
    """The parsed page: ``sections`` (ids), ``images`` (src), ``urls``, ``tags``."""
    parser = _Collector()
    parser.feed(text)
    return parser
