"""Markdown for hovers: map text is untrusted, so every piece of it is
escaped (by :func:`cruxmap.core.text.md_escape`, as every Markdown output is), and a link is made only from an http(s) URL, percent-encoded so
that it cannot close the link early or smuggle markup into it."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from cruxmap.core.text import has_unsafe, md_code, md_escape, redact_credentials

# The one Markdown escaper (cruxmap.core.text), under the names the features use.
escape = md_escape
code = md_code


def link_or_text(source: str) -> str:
    """``source`` as a link when the whole of it is an http(s) URL with a
    host and nothing unsafe (a control or bidi character, a lone surrogate
    that cannot be percent-encoded), else as escaped text; credentials in
    the URL are dropped from the link as from its text (as render does)."""
    candidate = redact_credentials(source.strip())
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return escape(source)
    if (
        parts.scheme.lower() in ("http", "https")
        and parts.netloc
        and not any(c.isspace() for c in candidate)
        and not has_unsafe(candidate)
    ):
        target = quote(candidate, safe=":/?#@!$&'*+,;=%~-._[]")
        return f"[{escape(candidate)}]({target})"
    return escape(source)
