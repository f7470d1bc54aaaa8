"""Read-only JSON-like values, for metadata carried by frozen dataclasses.

`freeze_json` turns mappings into :class:`FrozenMapping` and lists into
:class:`FrozenList`, recursively, so that a value type's metadata cannot be
changed in place; `thaw_json` undoes it for :func:`json.dumps`, which then writes
exactly the JSON the original dicts and lists would have written. Both types
pickle (unlike :class:`types.MappingProxyType`), so frozen values can travel to
worker processes, and hash when their contents do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class FrozenMapping(Mapping[str, Any]):
    """A read-only mapping; equal to a dict with the same items."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_items", dict(items))

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenMapping is read-only")

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"FrozenMapping({self._items!r})"

    def __reduce__(self) -> tuple[type, tuple[dict[str, Any]]]:
        return FrozenMapping, (self._items,)


class FrozenList(tuple):
    """A tuple that also equals the list it was made from (``FrozenList([5]) == [5]``).

    JSON arrays read back from a model file are lists; keeping that equality lets
    callers compare a frozen record with freshly built JSON data.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return tuple(self) == tuple(other)
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


def freeze_json(value: Any) -> Any:
    """A read-only copy of a JSON-like value: mappings become read-only, lists :class:`FrozenList`."""
    if isinstance(value, Mapping):
        return FrozenMapping({key: freeze_json(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return FrozenList(freeze_json(item) for item in value)
    return value


def thaw_json(value: Any) -> Any:
    """Plain dicts and lists again, e.g. for :func:`json.dumps`."""
    if isinstance(value, Mapping):
        return {key: thaw_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw_json(item) for item in value]
    return value
