"""In-process caches: compiled definitions per version, warm workflows per instance.

Both are safe to share between threads. A cached workflow is *taken* out of
the cache by the command that uses it and put back only after that command
committed, stamped with the instance row's new version; a command that fails
never returns its half-changed workflow, and a command that finds a different
version in the row (another process or node wrote it) ignores the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .runtime import CompiledProcess


class DefinitionCache:
    def __init__(self) -> None:
        self._compiled: dict[int, CompiledProcess] = {}
        self._lock = threading.Lock()

    def get(self, definition_id: int, load: Callable[[], CompiledProcess]) -> CompiledProcess:
        compiled = self._compiled.get(definition_id)
        if compiled is not None:
            return compiled
        compiled = load()
        with self._lock:
            return self._compiled.setdefault(definition_id, compiled)

    def put(self, compiled: CompiledProcess) -> None:
        with self._lock:
            self._compiled[compiled.definition_id] = compiled


class WorkflowCache:
    """A bounded LRU of (instance id) -> (row version, workflow)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, instance_id: int, version: int) -> Any | None:
        with self._lock:
            item = self._items.pop(instance_id, None)
            if item is not None and item[0] == version:
                self.hits += 1
                return item[1]
            self.misses += 1
            return None

    def put(self, instance_id: int, version: int, workflow: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[instance_id] = (version, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
