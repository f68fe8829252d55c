"""Keeping garbage collection pauses off the request path of a long-running process.

CPython's full (generation 2) collection walks every tracked object. In a process that has
imported Qt, pyqtgraph, SQLAlchemy and pydantic that is several hundred thousand objects, and a
full collection stalls every in-flight request for 100-250 ms (measured in bench_overhead at
concurrency 32). ``settle()`` runs one collection after start-up and then freezes what is left:
objects that live as long as the process are moved out of the collector's sight, so later full
collections only walk what was made since. The endpoint (``routedesk serve``) calls it once it is
ready to serve; the window freezes (without collecting) after start-up and after building each page.
"""

from __future__ import annotations

import gc


def settle(*, collect: bool = True) -> int:
    """Collect once (unless told not to), then freeze the survivors; returns how many are frozen.

    ``collect=False`` is for the GUI thread: freezing alone takes microseconds, while the
    collection takes as long as the pause it prevents (start-up garbage is then kept: little).
    """
    if collect:
        gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
