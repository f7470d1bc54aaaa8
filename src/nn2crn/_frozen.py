"""Read-only JSON-like values, for metadata carried by frozen dataclasses.

`freeze_json` turns mappings into :class:`types.MappingProxyType` and lists into
:class:`FrozenList`, recursively, so that a value type's metadata cannot be
changed in place; `thaw_json` undoes it for :func:`json.dumps`, which then writes
exactly the JSON the original dicts and lists would have written.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


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
        return MappingProxyType({key: freeze_json(item) for key, item in value.items()})
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
