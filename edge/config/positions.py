"""Key paths and source positions: the vocabulary the parser, the issue log and the builders share.

Rules this module keeps:
- A key path names a value inside a document: ('Dhcp4', 'subnet4', 0, 'pool'). It is the one way code
  reports where a problem is; positions are looked up from it, never passed around by hand.
- A position is (file, line, column), 1-based. A PositionMap lives only while one document is loaded.
- Imports nothing of ours, so errors.py and jsonpos.py can both use it without importing each other.
"""

from __future__ import annotations

__all__ = ["KeyPath", "Position", "PositionMap"]

KeyPath = tuple[str | int, ...]
Position = tuple[str, int, int]  # file, line, column


class PositionMap:
    """Positions of values and of keys, by key path."""

    __slots__ = ("keys", "values")

    def __init__(self) -> None:
        self.values: dict[KeyPath, Position] = {}
        self.keys: dict[KeyPath, Position] = {}

    def locate(self, path: KeyPath, *, at_key: bool = False) -> Position | None:
        """The position of the key (if asked and known) or value at `path`, else of the nearest ancestor."""
        path = tuple(path)
        if at_key and path in self.keys:
            return self.keys[path]
        while True:
            pos = self.values.get(path)
            if pos is not None:
                return pos
            if not path:
                return None
            path = path[:-1]
