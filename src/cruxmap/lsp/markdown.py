"""Markdown for hovers: map text is untrusted, so every piece of it is
escaped, and a link is made only from an http(s) URL, percent-encoded so
that it cannot close the link early or smuggle markup into it."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escape(text: str) -> str:
    """Plain text that renders as itself in Markdown (CommonMark): every
    punctuation mark with a meaning is backslash-escaped, HTML brackets and
    ampersands become entities, and line breaks become spaces."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


def code(name: str) -> str:
    """An identifier in a code span; identifiers hold only letters, digits,
    ``_`` and ``-``, but anything else is escaped rather than trusted."""
    if re.fullmatch(r"[\w-]+", name):
        return f"`{name}`"
    return escape(name)


def link_or_text(source: str) -> str:
    """``source`` as a link when the whole of it is an http(s) URL with a
    host, else as escaped text."""
    candidate = source.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return escape(source)
    if (
        parts.scheme.lower() in ("http", "https")
        and parts.netloc
        and not any(c.isspace() for c in candidate)
    ):
        target = quote(candidate, safe=":/?#@!$&'*+,;=%~-._[]")
        return f"[{escape(candidate)}]({target})"
    return escape(source)
