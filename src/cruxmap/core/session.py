"""What the maps of one run share: the run owns it and passes it down.

Roots that import one big library would each index it, analyse it and build
the same per-statement findings again (issue 8's library shape). A
:class:`Session` keeps that work for the later maps of the same run, in one
object the run creates (``api.Run``, ``api.check``, each command that reads
several maps, one per language-server workspace) and drops when it ends:
nothing about a map is kept in module globals, so what one run checked
cannot change what another reports.

Sharing must be invisible: every map's result is exactly its result in a
fresh session (issue 19). So everything kept here is keyed by the *content*
it was computed from (never by ``id()``, which Python reuses), and is either
immutable or copied before a later map changes it:

* ``prefixes``: the index of a closed imported prefix (``graph.build``), its
  adjacency frozen into tuples; a map built on it copies the outer lists and
  any adjacency it extends.
* ``bases`` and ``seen``: the robustness failure sets of such a prefix
  (``robustness._Base``); a map appends its own conditions for its analysis
  and takes them out again. A base keeps only cut-set families that came out
  whole; a map whose budget runs out inside the library computes the rest
  itself over the base's and puts them back. A base past its size bound is
  dropped and the maps analysed whole.
* ``findings``: findings that depend on one statement alone (``lint``),
  keyed by what they are built from; diagnostics are frozen.

A session is used by one thread at a time (a base is additionally locked, so
a second thread analyses whole rather than wait).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cruxmap.core.diagnostics import Diagnostic
    from cruxmap.core.graph import ClaimGraph, PrefixKey
    from cruxmap.core.robustness import _Base

#: Shared prefixes kept (each the index of a whole library).
PREFIXES_MAX = 2
#: Robustness bases kept (each holds the failure sets of a whole library).
BASES_MAX = 2
#: Keys remembered as "seen once" or "outgrew its bound".
SEEN_MAX = 16
#: Per-statement findings kept before the table is started afresh.
FINDINGS_MAX = 200_000


class Session:
    """The caches shared between the maps of one run (see the module text).

    Create one per run and pass it to ``api.analyse``/``api.Run``/
    ``lint.check_map``; a call given none makes a private one, so its result
    never depends on what else ran.
    """

    __slots__ = ("bases", "findings", "prefixes", "seen")

    def __init__(self) -> None:
        #: Closed imported prefixes by content (``graph._prefix_key``).
        self.prefixes: OrderedDict[PrefixKey, ClaimGraph] = OrderedDict()
        #: Robustness bases by (prefix key, depth, max order).
        self.bases: OrderedDict[tuple[object, ...], _Base] = OrderedDict()
        #: Keys of maps that only import (False: a base is made when a second
        #: map begins with the same files, so a map split into parts and
        #: checked alone never pays for keeping one), and keys whose base was
        #: given up (True: analysed whole from then on).
        self.seen: OrderedDict[tuple[object, ...], bool] = OrderedDict()
        #: Findings about one statement by (code, position, ID): what
        #: ``lint._about`` builds them from.
        self.findings: dict[tuple[object, ...], Diagnostic] = {}

    def __repr__(self) -> str:
        return (
            f"<cruxmap.Session: {len(self.prefixes)} prefixes, {len(self.bases)} bases, "
            f"{len(self.findings)} findings>"
        )
