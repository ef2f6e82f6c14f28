"""Per-process memories of database content: the one home of the bounded, thread-safe caches a web process or
the job worker keeps (compiled tile SQL, an organisation's map layers, the steering's live values, the region's
diffuse estimate, the BMO figures per zone d'emploi, the matching's ecosystem counts).

Every key must hold what makes the remembered value right — a version from `tandem.organizations.versions`
moved on by any process's write, the actor's scope, the day — so that a cluster of processes never serves stale
data (tests/core/test_process_caches.py). `forget_all` empties every memory at once: for the tests, whose
database copies restart their sequences, so that two copies can have equal keys for different data.

Pure: no Django.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()
_ALL: weakref.WeakSet[ProcessMemory] = weakref.WeakSet()


class ProcessMemory:
    """A least-recently-used map of at most `size` entries, safe across the threads of one process."""

    def __init__(self, name: str, size: int):
        self.name = name
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.add(self)

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            value = self._items.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def remember(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value kept under `key`, built (outside the lock: two threads may build it once each) when
        missing."""
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = self.put(key, build())
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items


def forget_all() -> None:
    """Empty every process memory (tests moving to another database copy)."""
    for memory in list(_ALL):
        memory.clear()
