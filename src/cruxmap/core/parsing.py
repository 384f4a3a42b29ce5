"""Text -> syntax tree -> :class:`~cruxmap.core.model.Document`.

The grammar lives in ``grammars/crux.lark`` and is compiled once per process
(and cached on disk by lark between processes). Syntax errors become CX001
diagnostics that say in words what was expected; parsing then resumes at the
next statement so that one typo does not hide the rest of the file.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from importlib import resources
from itertools import chain
from typing import Any, TypeVar, cast

from lark import Lark, Token, Transformer, Tree, v_args
from lark.common import LexerConf
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer, PatternStr
from lark.parsers.lalr_analysis import Shift

from cruxmap.core import diagnostics as dg
from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.model import (
    Claim,
    Comment,
    Document,
    Goal,
    Import,
    Loc,
    Objection,
    Premise,
    Reduction,
    Scale,
    Statement,
)
from cruxmap.core.syntax import ATTRIBUTES, CHOICES, KEYWORDS, generated_id_references
from cruxmap.core.syntax import decode as decode  # (re-exported: an entry point)

#: How each statement is written, for error messages.
USAGE = {
    "scale": "scale: lowest < ... < highest",
    "import": 'import "other.crux"',
    "claim": 'claim ID: "text"',
    "reduction": "reduction ID: CONCLUSION reduces to PREMISE >= LEVEL, PREMISE",
    "goal": "goal CLAIM >= LEVEL",
    "objection": 'objection ID: "text"  (then an indented `against: TARGET`)',
}

_TERMINAL_WORDS = {
    "ID": "an identifier",
    "STRING": "a string",
    "LONG_STRING": "a string",
    "GE": "`>=`",
    "LT": "`<`",
    "COLON": "`:`",
    "COMMA": "`,`",
    "EOL": "the end of the line",
    "_ATTR_NL": "an indented attribute line",
    "$END": "the end of the file",
}
_MAX_ERRORS_PER_FILE = 20


class _CruxLexer(Lexer):
    """Tokens for the grammar's terminals, with line structure decided here.

    One compiled alternation over the grammar's own terminal patterns, so the
    grammar stays the single definition of the language; lark's general lexer
    is several times slower on large files. Blank and comment-only lines fold
    into one newline token: ``_ATTR_NL`` when the next line is indented (an
    attribute line), ``EOL`` when it starts a statement. The newline token is
    placed at the end of the line it ends, so that a statement's span stops on
    its own last line. The stream always ends with ``EOL``.
    """

    def __init__(self, conf: LexerConf) -> None:
        terms = [t for t in conf.terminals if t.name not in ("EOL", "_ATTR_NL")]
        self.keywords = {
            t.pattern.value: t.name
            for t in terms
            if isinstance(t.pattern, PatternStr) and t.pattern.value.isidentifier()
        }
        ordered = sorted(
            (t for t in terms if t.pattern.value not in self.keywords),
            key=lambda t: (
                -t.priority,
                not isinstance(t.pattern, PatternStr),
                -len(t.pattern.value),
            ),
        )
        # The ignored whitespace (WS) is skipped by a possessive prefix of
        # every match, in C, rather than matched as tokens of its own (a third
        # of all matches). Any other character matches the last group: an
        # error, raised in order.
        ws = next(t for t in terms if t.name == "WS").pattern.to_regexp()
        self.regex = re.compile(
            f"(?:{ws})?+(?:"
            + "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in ordered if t.name != "WS")
            + "|(?P<_BAD>[\\s\\S]))"
        )

    def lex(self, data: str) -> Iterator[Token]:  # type: ignore[override]
        """One pass of ``finditer`` (the scanning loop runs in C); newline runs
        are tracked as plain values and become one token when they end."""
        keywords = self.keywords
        # Token() without its deprecation shim (typed here: lark leaves it untyped).
        new_token: Callable[..., Token] = Token._future_new
        comments = _session.comments
        line, line_start, end = 1, 0, len(data)
        # The run of newlines before the next token: where its first newline
        # starts (offset, line, column) and the last one's text.
        run_pos = run_line = run_col = 0
        run_value: str | None = None
        prev: Token | None = None
        started = False
        for m in self.regex.finditer(data):
            kind = m.lastgroup
            # Every alternative is a named group, so ``kind`` is never None.
            pos = m.start(kind)  # type: ignore[arg-type]
            value = m.group(kind)  # type: ignore[arg-type]
            if kind == "NEWLINE":
                if run_value is None:
                    run_pos, run_line, run_col = pos, line, pos - line_start + 1
                run_value = value
                line += 1
                line_start = pos + 1
                continue
            column = pos - line_start + 1
            if kind == "COMMENT":
                comments.append(new_token("COMMENT", value, pos, line, column))
                continue
            if kind == "_BAD":
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    data, pos, line, column, allowed=None, token_history=None
                )
            if run_value is not None:
                if len(run_value) > 1:
                    # Ends where the indented line's text begins, for errors.
                    yield new_token(
                        "_ATTR_NL", run_value, run_pos, run_line, run_col,
                        line, len(run_value), pos,
                    )  # fmt: skip
                else:  # placed (zero-width) at the end of the line it ends
                    yield new_token(
                        "EOL", run_value, run_pos, run_line, run_col, run_line, run_col, run_pos
                    )
                run_value = None
            elif not started and column != 1:
                yield new_token("_ATTR_NL", "", 0, line, 1, line, column, pos)
            started = True
            if kind == "ID":
                if value in keywords:
                    kind = keywords[value]
                elif not value.isascii():
                    value = _identifier(value, line, column)
            if kind == "LONG_STRING" and "\n" in value:
                newlines = value.count("\n")
                end_line = line + newlines
                end_column = len(value) - value.rfind("\n")
                prev = new_token(kind, value, pos, line, column, end_line, end_column, m.end())
                yield prev
                line = end_line
                line_start = pos + value.rfind("\n") + 1
                continue
            stop = m.end()
            prev = new_token(kind, value, pos, line, column, line, column + stop - pos, stop)
            yield prev
        if run_value is not None:
            yield new_token(
                "EOL", run_value, run_pos, run_line, run_col, run_line, run_col, run_pos
            )
        else:
            ln = prev.end_line or 1 if prev is not None else 1
            col = prev.end_column or 1 if prev is not None else 1
            yield new_token("EOL", "", end, ln, col, ln, col, end)


class _Session:
    """Per-parse state shared with the inline transformer (one parse at a time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.comments: list[Token] = []
        #: (line, column, end column, code, message arguments, suggestion) of
        #: identifier problems found while lexing, for ``parse_text``.
        self.identifiers: list[tuple[int, int, int, str, dict[str, Any], str]] = []


_session = _Session()

# --------------------------------------------------------------------------- Unicode

#: Default-ignorable code points (Unicode's DerivedCoreProperties) that
#: Python's ``\w`` accepts, so that they could hide inside an identifier: the
#: Hangul fillers. The other default-ignorables (zero-width spaces and
#: joiners, bidi controls, variation selectors, soft hyphen, tags) are not
#: ``\w`` and already end an identifier as an unexpected character.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0")
_ID = re.compile(r"[^\W\d][\w-]*")
#: Script sets an identifier may mix (UTS #39, "highly restrictive"): one
#: script, or Latin with the scripts of Japanese, Chinese or Korean writing.
_ALLOWED_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
#: Unicode line breaks other than LF and CR: an editor breaks the line there,
#: so a comment must not run on past one (the grammar's COMMENT stops before
#: them, and outside strings they are a syntax error).
LINE_SEPARATORS = {"\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR", "\x85": "NEXT LINE"}


def _script(ch: str) -> str | None:
    """A letter's script, from its Unicode name (``CYRILLIC SMALL LETTER A``);
    ``None`` for digits, ``_``, ``-`` and marks (script Common/Inherited)."""
    if not ch.isalpha():
        return None
    import unicodedata

    name = unicodedata.name(ch, "")
    word = name.split(" ", 1)[0]
    if word in ("HALFWIDTH", "FULLWIDTH"):
        word = name.split(" ", 2)[1]
    return {"IDEOGRAPHIC": "CJK", "KANGXI": "CJK"}.get(word, word) or None


def _identifier(value: str, line: int, column: int) -> str:
    """A non-ASCII identifier as UAX #31 and Python read it: NFKC-normalised
    (``ﬁle`` is ``file``). Invisible characters are refused (CX001), and a
    mix of scripts that can spoof another name is flagged (CX206)."""
    import unicodedata

    end = column + len(value)
    hidden = sorted({f"U+{ord(c):04X}" for c in value if c in _INVISIBLE})
    if hidden:
        _session.identifiers.append(
            (line, column, end, "CX001", {"detail": (
                f"identifier contains an invisible character ({', '.join(hidden)}): "
                "it would look like another name"
            )}, "remove the invisible character (retype the name)")
        )  # fmt: skip
        return value
    normal = unicodedata.normalize("NFKC", value)
    if normal != value and not _ID.fullmatch(normal):
        _session.identifiers.append(
            (line, column, end, "CX001", {"detail": (
                f"identifier is not valid once NFKC-normalised (it reads as {normal!r})"
            )}, "write the identifier with plain letters and digits")
        )  # fmt: skip
        return value
    letters = [(c, sc) for c in normal if (sc := _script(c)) is not None]
    scripts = {sc for _, sc in letters}
    if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
        counts = {sc: sum(1 for _, s in letters if s == sc) for sc in scripts}
        main = max(sorted(scripts), key=lambda sc: counts[sc])
        odd = ", ".join(
            f"{sc.title()} {' '.join(f'U+{ord(c):04X}' for c, s in letters if s == sc)}"
            for sc in sorted(scripts - {main})
        )
        _session.identifiers.append(
            (line, column, end, "CX206", {"name": normal, "scripts": f"{main.title()}; {odd}"},
             "write the identifier in one script")
        )  # fmt: skip
    return normal


class _FastPath:
    """The LALR loop of lark's parser, run directly over our lexer's tokens
    with lark's own tables and rule callbacks.

    lark's general loop goes through a lexer thread, a parser state object
    and a method call per token; for a large file that overhead is most of
    the parse. This loop does the same shifts and reductions, and on an
    error raises the exception lark raises there (``UnexpectedToken`` with
    the terminals the state expects; the lexer's ``UnexpectedCharacters``),
    so that messages and recovery are the same. A test checks it against
    lark's own loop on every corpus file, valid or not.
    """

    def __init__(self, lark: Lark) -> None:
        parser = lark.parser.parser.parser  # frontend -> LALR_Parser -> _Parser
        table = parser.parse_table
        # Plain str keys (lark's are Token objects, whose __eq__ is Python),
        # and for a reduction its size, callback and the goto symbol at once.
        callbacks = parser.callbacks
        self.states: dict[Any, dict[str, tuple[Any, Any]]] = {
            state: {
                str(symbol): (action, arg)
                if action is Shift
                else (None, (len(arg.expansion), callbacks[arg], str(arg.origin.name)))
                for symbol, (action, arg) in actions.items()
            }
            for state, actions in table.states.items()
        }
        self.start_state = table.start_states["start"]
        self.end_state = table.end_states["start"]
        self.lexer = _CruxLexer(lark.lexer_conf)

    def parse(self, text: str) -> list[Statement]:
        states, shift, end_state = self.states, Shift, self.end_state
        state_stack = [self.start_state]
        value_stack: list[Any] = []
        push_state, push_value = state_stack.append, value_stack.append
        token: Token | None = None

        def end() -> Iterator[Token]:
            # After the lexer's tokens (it always ends with EOL), lark's end
            # marker at the last of them: ``token`` when this runs.
            assert token is not None
            yield Token.new_borrow_pos("$END", "", token)

        for token in chain(self.lexer.lex(text), end()):
            while True:
                actions = states[state_stack[-1]]
                try:
                    action, arg = actions[token.type]
                except KeyError:
                    raise _unexpected(token, actions) from None
                if action is shift:
                    push_state(arg)
                    push_value(token)
                    break
                size, callback, goto = arg
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                push_value(callback(children))
                push_state(states[state_stack[-1]][goto][1])
                if state_stack[-1] == end_state:  # only ever on $END
                    return cast(list[Statement], value_stack[-1])
        raise AssertionError("the end marker is never shifted")


def _unexpected(token: Token, actions: dict[str, Any]) -> UnexpectedToken:
    """The error lark's parser raises for ``token`` in a state with ``actions``."""
    found = {s for s in actions if s.isupper()}
    return UnexpectedToken(token, found, interactive_parser=None)  # type: ignore[no-untyped-call]


@lru_cache(maxsize=1)
def _fast_path() -> _FastPath:
    return _FastPath(_lark()[0])


@lru_cache(maxsize=1)
def _lark() -> tuple[Lark, _Builder]:
    grammar = resources.files("cruxmap.grammars").joinpath("crux.lark").read_text("utf-8")
    builder = _Builder()
    options: dict[str, Any] = {}
    cache = _cache_path()
    if cache is not None:
        options["cache"] = cache
    lark = Lark(
        grammar,
        parser="lalr",
        lexer=_CruxLexer,
        propagate_positions=False,  # node positions come from tokens
        maybe_placeholders=False,
        transformer=builder,
        **options,
    )
    return lark, builder


def _cache_path() -> str | None:
    """Where lark keeps the analysed grammar between runs: a directory of the
    user's own (never a shared temporary directory, since lark reads the
    cache back with pickle)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "cruxmap")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        owner = os.stat(directory).st_uid
        if not os.access(directory, os.W_OK) or owner != getattr(os, "getuid", lambda: owner)():
            return None  # (Windows has no getuid: the directory is the user's profile's)
    except OSError:
        return None
    import lark as lark_module

    from cruxmap.core.version import __version__

    return os.path.join(directory, f"grammar-{__version__}-lark{lark_module.__version__}.cache")


def parse_lalr(text: str, path: str) -> tuple[Document, list[Diagnostic]]:
    """Parse one file's text with the grammar's LALR parser (any file; the
    one that reports syntax errors) into a document plus its CX001
    diagnostics. :func:`cruxmap.core.quickparse.parse_text` tries the line-at-a-time fast path
    first."""
    lines = text.split("\n")
    diagnostics: list[Diagnostic] = []
    builder = _lark()[1]
    work = text
    statements: list[Statement] | None = None
    # Each recovery re-parses up to the next error: bound the total work, so
    # that errors at the end of a big file cannot cost 20 full parses.
    budget = 2 * len(text) + 1_000_000
    fast = _fast_path()
    with _session.lock:
        for _ in range(_MAX_ERRORS_PER_FILE + 1):
            builder.reset(path, lines)
            _session.comments = []
            _session.identifiers = []
            try:
                statements = fast.parse(work)
                break
            except UnexpectedInput as exc:
                diagnostics.append(_syntax_diagnostic(exc, path, lines))
                token = getattr(exc, "token", None)
                budget -= (
                    getattr(exc, "pos_in_stream", None)
                    or getattr(token, "start_pos", None)
                    or len(work)
                )
                blanked = _blank_statement(work, exc)
                if blanked is None or budget < 0:
                    break
                work = blanked
        diagnostics.extend(builder.diagnostics)
        lexed = _session.comments
        seen: set[tuple[int, int]] = set()
        for line, column, end, code, args, hint in _session.identifiers:
            if (line, column) not in seen:
                seen.add((line, column))
                diagnostics.append(
                    dg.make(
                        code, path, line, column, excerpt=lines[line - 1] if code == "CX001" else None,
                        end_line=line, end_column=end, suggestion=hint, **args,
                    )
                )  # fmt: skip
    doc = Document(path=path, statements=statements or [])
    if diagnostics:
        # Parsing resumed on a blanked copy: take the comments from the text.
        doc.comments = _comments(text)
    else:
        doc.comments = [
            Comment(
                line=t.line or 1, column=t.column or 1, text=t.value.rstrip(),
                own_line=not lines[(t.line or 1) - 1][: (t.column or 1) - 1].strip(),
            )
            for t in lexed
        ]  # fmt: skip
    diagnostics.extend(generated_id_references(doc.comments, lines, path))
    return doc, diagnostics


# --------------------------------------------------------------------------- errors


def _words(expected: set[str]) -> str:
    names = sorted({_TERMINAL_WORDS.get(t, f"`{t.lower()}`") for t in expected})
    if not names:
        return "something else"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _found(tok: Token) -> str:
    if tok.type == "EOL" or tok.type == "$END":
        return "the end of the line" if tok.type == "EOL" else "the end of the file"
    if tok.type == "_ATTR_NL":
        return "an indented line"
    if tok.value.lower() in KEYWORDS and tok.type != "ID":
        return f"the keyword `{tok.value}`"
    shown = tok.value if len(tok.value) <= 40 else tok.value[:37] + "..."
    return f"`{shown}`"


def _syntax_diagnostic(exc: UnexpectedInput, path: str, lines: list[str]) -> Diagnostic:
    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedCharacters):
        ch = exc.char
        if ch == '"':
            message = "unterminated string"
            hint = 'close it with " on the same line, or use """...""" for text with line breaks'
        elif ch == "\r":
            message = "stray carriage return"
            hint = "use LF or CRLF line ends"
        elif ch in LINE_SEPARATORS:
            message = (
                f"U+{ord(ch):04X} ({LINE_SEPARATORS[ch]}) outside a string: editors show "
                "a line break here, but it is not one"
            )
            hint = "use an ordinary line break; inside a string it is allowed (or write `\\n`)"
        else:
            message = f"unexpected character {ch!r}"
            hint = "identifiers are letters, digits, `_` and `-`; text goes in double quotes"
    else:
        assert isinstance(exc, UnexpectedToken | UnexpectedEOF)
        tok = exc.token
        expected = set(exc.expected) if isinstance(exc, UnexpectedToken) else set()
        expected.discard("NEWLINE")
        if isinstance(exc, UnexpectedToken) and tok.type in ("EOL", "_ATTR_NL", "$END"):
            # Point at the end of the offending line, not at the next line.
            line = cast(int, tok.line) if tok.type != "$END" else len(lines)
            column = len(lines[line - 1]) + 1 if 0 < line <= len(lines) else 1
        if (tok.type == "_ATTR_NL" and expected >= {"CLAIM"}) or (
            tok.type == "_ATTR_NL" and "EOL" not in expected and not expected - {"$END"}
        ):
            line, column = tok.end_line or line, 1
            message = "unexpected indentation: statements start in column 1"
            hint = "indent only the `key: value` attribute lines under a statement"
        elif (
            tok.type in ("SCALE", "IMPORT", "CLAIM", "REDUCTION", "GOAL", "OBJECTION")
            and 0 < line <= len(lines)
            and not lines[line - 1][: column - 1].strip()
            and column > 1
        ):
            message = f"`{tok.value}` statement is indented, so it reads as an attribute line"
            hint = "start statements in column 1"
        elif tok.type == "_ATTR_NL":
            message = f"expected {_words(expected)}, found an indented line"
            hint = "finish the statement on its first line; attribute lines come after it"
        elif tok.type != "ID" and "ID" in expected and tok.value in KEYWORDS:
            message = f"expected {_words(expected)}, found the keyword `{tok.value}`"
            hint = "keywords cannot be used as identifiers; pick another name"
        else:
            message = f"expected {_words(expected)}, found {_found(tok)}"
            hint = None
        if hint is None:
            hint = _usage_hint(lines, line)
    hint = _attribute_hint(lines, line) or hint
    excerpt = lines[line - 1] if 0 < line <= len(lines) else ""
    end_line, end_column = line, column + 1  # one character, unless a token says more
    tok = getattr(exc, "token", None)
    if (
        tok is not None
        and tok.type not in ("EOL", "_ATTR_NL", "$END")
        and (tok.line, tok.column) == (line, column)
        and tok.end_line
        and tok.end_column
    ):
        end_line, end_column = tok.end_line, tok.end_column
    elif column == 1 and excerpt[:1] in (" ", "\t"):  # the indentation itself
        end_column = len(excerpt) - len(excerpt.lstrip(" \t")) + 1
    return dg.make(
        "CX001", path, line, column, message, suggestion=hint, excerpt=excerpt,
        end_line=end_line, end_column=end_column,
    )  # fmt: skip


_TEXT_ATTRIBUTE = re.compile(r"^[ \t]+(source|because|note)[ \t]*:[ \t]*([^\s\"].*?)[ \t]*$")
_ATTRIBUTE_IN_COLUMN_1 = re.compile(
    r"^(source|assume|tags|note|because|yields|against|caps|expect)[ \t]*:"
)


def _attribute_hint(lines: list[str], line: int) -> str | None:
    """Help for the two attribute mistakes a new user makes: text left
    unquoted (a citation, a URL), and an attribute line not indented."""
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    m = _TEXT_ATTRIBUTE.match(text)
    if m:
        value = m.group(2).replace("\\", "\\\\").replace('"', '\\"')
        return f'text goes in double quotes: {m.group(1)}: "{value}"'
    m = _ATTRIBUTE_IN_COLUMN_1.match(text)
    if m:
        return f"attribute lines are indented under their statement: `    {m.group(1)}: ...`"
    return None


def _one_of(name: str) -> str:
    """The values a choice attribute takes, in words (``holds` or `fails``)."""
    return " or ".join(f"`{v}`" for v in CHOICES[name])


def _usage_hint(lines: list[str], line: int) -> str | None:
    """The form of the statement the error sits in, as a reminder."""
    for i in range(min(line, len(lines)) - 1, -1, -1):
        text = lines[i]
        if text and not text[0].isspace() and not text.startswith("#"):
            word = re.match(r"[\w-]*", text)
            key = word.group(0) if word else ""
            if key in USAGE:
                return f"the form is `{USAGE[key]}`"
            if " reduces " in text or key:
                return "the form is `CONCLUSION reduces to PREMISE >= LEVEL, PREMISE`"
            return None
    return None


def _blank_statement(text: str, exc: UnexpectedInput) -> str | None:
    """Blank out the statement holding the error so parsing can resume."""
    lines = text.split("\n")
    line = getattr(exc, "line", None)
    if isinstance(exc, UnexpectedToken) and exc.token.type in ("EOL", "_ATTR_NL"):
        line = exc.token.line
    if not line or line < 1 or line > len(lines):
        return None
    start = line - 1
    while start > 0 and (not lines[start] or lines[start][0] in " \t#"):
        start -= 1
    end = line
    while end < len(lines) and (not lines[end] or lines[end][0] in " \t#"):
        end += 1
    if all(not lines[i].strip() for i in range(start, end)):
        return None
    for i in range(start, end):
        lines[i] = ""
    return "\n".join(lines)


_COMMENT_RE = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|(#[^\n\u2028\u2029\x85]*)'
)


def _comments(text: str) -> list[Comment]:
    """Every comment, found outside strings, with its position."""
    found: list[Comment] = []
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)
    import bisect

    for m in _COMMENT_RE.finditer(text):
        if m.group(1) is None:
            continue
        pos = m.start(1)
        ln = bisect.bisect_right(line_starts, pos) - 1
        col = pos - line_starts[ln]
        own = not text[line_starts[ln] : pos].strip()
        found.append(Comment(line=ln + 1, column=col + 1, text=m.group(1).rstrip(), own_line=own))
    return found


# --------------------------------------------------------------------------- tree -> model


def _loc(path: str, tok: Token | Tree[Any]) -> Loc:
    """Where a token (or node) starts and ends; columns in code points."""
    if isinstance(tok, Tree):
        m = tok.meta
        return Loc(path, m.line, m.column, m.end_line, m.end_column)
    return Loc(path, tok.line or 1, tok.column or 1, tok.end_line or 0, tok.end_column or 0)


def _span(path: str, first: Token, last: Token) -> Loc:
    """From the start of one token to the end of another (``claim alignment``)."""
    return Loc(path, first.line or 1, first.column or 1, last.end_line or 0, last.end_column or 0)


class _String(str):
    """A decoded string that remembers where it was written."""

    token: Token


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n"}


#: A statement being built: ``_finish`` hands back what it was given.
_S = TypeVar("_S", bound=Statement)


class _Builder(Transformer[Token, Any]):
    """Builds model objects while the LALR parser reduces (no parse tree)."""

    def __init__(self) -> None:
        super().__init__()
        self.reset("<none>", [])

    def reset(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.diagnostics: list[Diagnostic] = []

    def start(self, children: list[Any]) -> list[Statement]:
        return [c for c in children if not isinstance(c, Token)]

    def _error(self, at: Token | Loc, message: str, suggestion: str | None = None) -> None:
        line = at.line or 1
        column = at.column or 1
        excerpt = self.lines[line - 1] if 0 < line <= len(self.lines) else None
        self.diagnostics.append(
            dg.make(
                "CX001", self.path, line, column, message, suggestion=suggestion, excerpt=excerpt,
                end_line=at.end_line or None, end_column=at.end_column or None,
            )
        )  # fmt: skip

    # strings -------------------------------------------------------------

    def string(self, children: list[Token]) -> _String:
        tok = children[0]
        raw = tok.value[3:-3] if tok.type == "LONG_STRING" else tok.value[1:-1]
        quote = 3 if tok.type == "LONG_STRING" else 1
        if "\\" not in raw:  # nearly every string: nothing to decode
            s = _String(raw)
            s.token = tok
            return s
        out: list[str] = []
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                nxt = raw[i + 1]
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                else:
                    before = tok.value[: quote + i]
                    line = (tok.line or 1) + before.count("\n")
                    col = (
                        len(before) - before.rfind("\n")
                        if "\n" in before
                        else (tok.column or 1) + len(before)
                    )
                    self._error(
                        Loc(self.path, line, col, line, col + 2),
                        f"unknown escape `\\{nxt}` in a string",
                        suggestion='the escapes are \\" \\\\ and \\n; write \\\\ for a backslash',
                    )
                    out.append(nxt)
                i += 2
                continue
            out.append(ch)
            i += 1
        s = _String("".join(out))
        s.token = tok
        return s

    # attributes ----------------------------------------------------------

    @v_args(inline=True)
    def string_value(self, s: _String) -> tuple[str, Any]:
        return ("string", s)

    def id_list(self, children: list[Token]) -> tuple[str, Any]:
        return ("ids", [t for t in children if t.type == "ID"])

    @v_args(inline=True)
    def attribute(self, key: Token, _colon: Token, value: tuple[str, Any]) -> Any:
        return (key, value)

    def attrs(self, children: list[Any]) -> list[Any]:
        return children

    def _attributes(self, kind: str, raw: list[Any], node: Any) -> dict[str, Any]:
        allowed = ATTRIBUTES[kind]
        what = kind.removesuffix("_stmt")
        values: dict[str, Any] = {}
        for key, (vkind, value) in raw:
            name = key.value
            if name not in allowed:
                if allowed:
                    guess = dg.did_you_mean(name, set(allowed))
                    hint = (
                        f"did you mean `{guess}`?"
                        if guess
                        else f"a {what} takes {', '.join(f'`{a}`' for a in allowed)}"
                    )
                else:
                    hint = f"a {what} statement takes no attributes"
                self._error(key, f"unknown attribute `{name}` for a {what}", hint)
                continue
            if name in values:
                self._error(key, f"duplicate attribute `{name}`", "keep one of the two lines")
                continue
            want = allowed[name]
            node.attr_locs[name] = _loc(self.path, key)
            if want == "string":
                if vkind != "string":
                    self._error(
                        value[0], f"`{name}` takes a string", f'write `{name}: "{value[0]}"`'
                    )
                    continue
                values[name] = str(value)
            elif want in ("level", "id", "choice"):
                if vkind != "ids" or len(value) != 1:
                    tok = value[0] if vkind == "ids" else value.token
                    if want == "choice":
                        thing, example = _one_of(name), CHOICES[name][-1]
                    else:
                        thing, example = ("a level" if want == "level" else "one ID"), "NAME"
                    self._error(tok, f"`{name}` takes {thing}", f"write `{name}: {example}`")
                    continue
                if want == "choice" and value[0].value not in CHOICES[name]:
                    guess = dg.did_you_mean(value[0].value, set(CHOICES[name]))
                    self._error(
                        value[0], f"`{name}` takes {_one_of(name)}, not `{value[0].value}`",
                        f"did you mean `{guess}`?" if guess else f"write `{name}: {CHOICES[name][-1]}`",
                    )  # fmt: skip
                    continue
                node.attr_locs[name] = _loc(self.path, value[0])
                values[name] = value[0].value
            else:  # ids
                if vkind != "ids":
                    self._error(value.token, f"`{name}` takes names", f"write `{name}: a, b`")
                    continue
                values[name] = [t.value for t in value]
        return values

    def _finish(self, node: _S, eol: Token, kind: str, raw: list[Any]) -> _S:
        node.end_line = eol.line or node.loc.line
        for key, value in self._attributes(kind, raw, node).items():
            setattr(node, key, value)
        return node

    # statements ---------------------------------------------------------

    def scale_stmt(self, children: list[Any]) -> Scale:
        ids = [c for c in children if isinstance(c, Token) and c.type == "ID"]
        node = Scale(
            loc=_span(self.path, children[0], ids[-1] if ids else children[0]),
            levels=[t.value for t in ids],
            level_locs=[_loc(self.path, t) for t in ids],
        )
        return self._finish(node, children[-1], "scale_stmt", children[-2])

    def import_stmt(self, children: list[Any]) -> Import:
        node = Import(loc=_span(self.path, children[0], children[1].token), target=str(children[1]))
        node.attr_locs["target"] = _loc(self.path, children[1].token)
        return self._finish(node, children[-1], "import_stmt", children[-2])

    def claim_stmt(self, children: list[Any]) -> Claim:
        node = Claim(
            loc=_span(self.path, children[0], children[1]),
            id=children[1].value,
            text=str(children[3]),
        )
        node.attr_locs["id"] = _loc(self.path, children[1])
        return self._finish(node, children[-1], "claim_stmt", children[-2])

    def reduction_stmt(self, children: list[Any]) -> Reduction:
        rid = ""
        explicit = False
        rest = children
        if isinstance(children[0], Token) and children[0].type == "REDUCTION":
            rid, explicit, rest = children[1].value, True, children[3:]
        conclusion = rest[0]
        premises = [c for c in rest if isinstance(c, Premise)]
        node = Reduction(
            loc=_span(self.path, children[0], children[1] if explicit else conclusion),
            id=rid,
            explicit_id=explicit,
            conclusion=conclusion.value,
            conclusion_loc=_loc(self.path, conclusion),
            premises=premises,
        )
        if explicit:
            node.attr_locs["id"] = _loc(self.path, children[1])
        return self._finish(node, children[-1], "reduction_stmt", children[-2])

    def premise(self, children: list[Token]) -> Premise:
        claim = children[0]
        level = children[2] if len(children) == 3 else None
        return Premise(
            claim=claim.value,
            threshold=level.value if level is not None else None,
            loc=_loc(self.path, claim),
            threshold_loc=_loc(self.path, level) if level is not None else None,
        )

    def goal_stmt(self, children: list[Any]) -> Goal:
        claim, level = children[1], children[3]
        node = Goal(
            loc=_span(self.path, children[0], claim),
            claim=claim.value,
            required=level.value,
            claim_loc=_loc(self.path, claim),
            required_loc=_loc(self.path, level),
        )
        return self._finish(node, children[-1], "goal_stmt", children[-2])

    def objection_stmt(self, children: list[Any]) -> Objection:
        node = Objection(
            loc=_span(self.path, children[0], children[1]),
            id=children[1].value,
            text=str(children[3]),
        )
        node.attr_locs["id"] = _loc(self.path, children[1])
        return self._finish(node, children[-1], "objection_stmt", children[-2])
