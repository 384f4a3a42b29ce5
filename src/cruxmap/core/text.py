"""Untrusted text made safe for each place it is shown, from ONE character set.

Claim text, IDs, sources, notes, file names and command-line values are
written by whoever wrote the files. Every output shows them through one of
the escapers here, and all of them escape the same characters
(:data:`UNSAFE`): they differ only in which line breaks a target may keep
and in what else that target interprets (Markdown punctuation, XML).

- :func:`clean`: terminals, CI logs, GitHub workflow commands (one line).
- :func:`escape`: display text inside JSON and SARIF (tab and newline kept).
- :func:`label`: DOT/SVG labels and tooltips (newline kept, XML-safe).
- :func:`md_escape` and :func:`md_code`: Markdown (diff, explain, cruxes,
  the language server's hovers), with GitHub's mentions, issue references
  and math kept inert.
- :func:`json_text`: serialized JSON, so that a data string (a claim's text)
  decodes unchanged but its unsafe characters are ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

#: The characters no output shows raw, as (first, last) code points: C0
#: controls, DEL and C1 controls (U+0085 NEL and the one-byte CSI among
#: them), the Arabic letter mark, the left-to-right and right-to-left marks,
#: the line and paragraph separators, bidirectional embeddings, overrides
#: and isolates, lone surrogates (undecodable bytes in file names) and the
#: two noncharacters XML forbids. A target that keeps tab or newline says so.
UNSAFE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0x061C, 0x061C),
    (0x200E, 0x200F),
    (0x2028, 0x2029),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
    (0xD800, 0xDFFF),
    (0xFFFE, 0xFFFF),
)

#: Every character of :data:`UNSAFE_RANGES`, for tests and for callers
#: that check rather than escape.
UNSAFE: frozenset[str] = frozenset(chr(c) for lo, hi in UNSAFE_RANGES for c in range(lo, hi + 1))


def _pattern(keep: str = "") -> re.Pattern[str]:
    """The unsafe set as one character class, less the characters in ``keep``."""
    parts: list[str] = []
    for lo, hi in UNSAFE_RANGES:
        start = lo
        for c in range(lo, hi + 2):
            if c > hi or chr(c) in keep:
                if start < c:
                    last = c - 1
                    part = f"\\u{start:04x}"
                    parts.append(part if last == start else f"{part}-\\u{last:04x}")
                start = c + 1
    return re.compile("[" + "".join(parts) + "]")


#: One pattern per target, all cut from :data:`UNSAFE_RANGES`.
_ALL = _pattern()
_DATA = _pattern(keep="\t\n")
_LABEL = _pattern(keep="\n")
#: JSON's own whitespace between tokens; inside a string the encoder has
#: already written these as escapes.
_JSON = _pattern(keep="\t\n\r")


def escape_char(ch: str) -> str:
    """One character as a visible ``\\xNN`` or ``\\uNNNN`` escape."""
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds any character of the set (a URL that does is
    never made a link)."""
    return _ALL.search(text) is not None


def _escape_match(m: re.Match[str]) -> str:
    return escape_char(m.group(0))


#: ``scheme://user:password@`` in a URL: the credentials are never shown.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]*(?:@[^/?#\s@]*)*@")


def redact_credentials(text: str) -> str:
    """``https://user:pass@host/x`` as ``https://host/x``, everywhere in
    ``text``: a map's sources and strings may carry tokens that must not
    reach a CI log, a drawing or a page."""
    return _USERINFO.sub(r"\1", text) if "@" in text else text


def clean(text: str) -> str:
    """Terminal-safe and one line: control, ANSI and bidi characters and
    every line break escaped, so that user text can never start a line of
    its own (GitHub Actions runs a log line starting ``::`` as a command)."""
    text = redact_credentials(text).replace("\t", " ")
    return _ALL.sub(_escape_match, text)


def escape(text: str) -> str:
    """Display-safe text for JSON and SARIF: each unsafe character but tab
    and newline as a visible escape, so that an excerpt or message quoting a
    hostile file cannot reorder or hide what a reader of the decoded value
    sees."""
    return _DATA.sub(_escape_match, text) if _DATA.search(text) else text


def label(text: str) -> str:
    """Text for a drawing's label or tooltip: line breaks kept (``\\r\\n``
    and ``\\r`` as ``\\n``), tab as a space, every other unsafe character
    (XML-forbidden ones among them) escaped, and no credentials in URLs."""
    text = redact_credentials(text).replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    return _LABEL.sub(_escape_match, text)


def json_text(serialized: str) -> str:
    """Serialized JSON with every unsafe character written as a JSON
    ``\\uXXXX`` escape: the data decodes unchanged, but printing the
    document cannot reorder or hide anything. Outside strings JSON is ASCII,
    so a raw unsafe character can only be inside one (tab, CR and LF, which
    the encoder escapes inside strings, are left as the whitespace between
    tokens)."""
    if not _JSON.search(serialized):
        return serialized
    return _JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", serialized)


# --------------------------------------------------------------------------- markdown

#: ASCII punctuation with a meaning somewhere in CommonMark, GFM or GitHub
#: (``$`` opens math, ``:`` emoji and autolinks), backslash-escaped, and
#: ``=`` where it begins the text (a setext heading's underline); ``<``, ``>`` and ``&`` become entities (no HTML); ``@``
#: and ``#`` are followed by a zero-width space, and so is ``GH-``.
_MD = re.compile(r"(?i:\b(gh)-)|([\\`*_{}\[\]()#+\-.!|~<>&@:$])|^(\s*)=")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
#: GitHub links ``@name``, ``#1``, ``owner/repo#1`` and ``GH-1`` in the
#: rendered text, after entities and backslash escapes are decoded, so only
#: a character that stays in that text stops it.
ZWSP = "\u200b"


def _md_one(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return m.group(1) + "\\-" + ZWSP
    if m.group(3) is not None:
        return m.group(3) + "\\="
    ch = m.group(2)
    if ch in _MD_ENTITIES:
        return _MD_ENTITIES[ch]
    if ch == "@":
        return "@" + ZWSP
    if ch == "#":
        return "\\#" + ZWSP
    return "\\" + ch


def md_escape(text: str) -> str:
    """Map text as literal Markdown that renders as itself, inline or in a
    table cell: line breaks as spaces, unsafe characters escaped as
    :func:`clean` does, punctuation backslash-escaped, ``<``/``>``/``&`` as
    entities (no HTML gets through), and no GitHub mention, issue reference
    or math."""
    return _MD.sub(_md_one, clean(re.sub(r"[\r\n]+", " ", text)))


def md_code(name: str) -> str:
    """An identifier as a code span (IDs hold letters, digits, ``_``, ``-``
    and ``#``, all safe inside one); anything else as escaped text rather
    than trusted."""
    if re.fullmatch(r"[\w#-]+", name):
        return f"`{name}`"
    return md_escape(name)


# --------------------------------------------------------------------------- colour


def use_colour(stream: Any = None) -> bool:
    """Colour only on a terminal (``stream``, default stdout), never with
    ``NO_COLOR`` set (no-color.org) nor with ``TERM=dumb``."""
    stream = stream if stream is not None else sys.stdout
    if os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
