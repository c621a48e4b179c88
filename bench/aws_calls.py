"""Count AWS API calls with botocore event hooks, and DynamoDB capacity units by item size.

    counter = AwsCallCounter()
    counter.install(session.events)        # a boto3 Session, before it makes its clients
    mark = counter.snapshot()
    ... run one operation ...
    calls = counter.since(mark)            # {"dynamodb.PutItem": 2, "scheduler.CreateSchedule": 1}
    units = counter.units_since(mark)      # {"wru": 3.0, "rru": 2.0, "writes": [...], ...}

`before-call` fires once per API call (botocore retries happen below it), so a throttled and
retried call counts once, as AWS bills it. DynamoDB capacity is computed from the items on the
wire, by AWS's published rules (the embedded AWS does not meter it):

- write request units: ceil(item size / 1 KB) per PutItem/DeleteItem, the size being the larger
  of the old and the new item; a failed conditional write still costs its units; transactional
  writes cost twice. A global secondary index costs a write too when the item enters, leaves or
  changes in it: for a keys-only index only when its key changes (create, delete, key change);
  for an ALL-projection index on every write of an item in it.
- read request units: ceil(size / 4 KB) per strongly consistent GetItem; a Query costs
  ceil(sum of the sizes read / 4 KB), half that when eventually consistent (every GSI query).

Item size = for each attribute, the UTF-8 length of its name plus its value (strings: UTF-8
length; numbers: about 1 byte per two significant digits + 1; booleans/null: 1).
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from belltower import resources as r

_TYPED = {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}


def value_size(value: Any) -> int:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TYPED:
        kind, inner = next(iter(value.items()))
        if kind == "S":
            return len(inner.encode())
        if kind == "N":
            return _number_size(inner)
        if kind == "B":
            return len(inner)
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "M":
            return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
        if kind == "L":
            return 3 + sum(value_size(v) + 1 for v in inner)
        return sum(len(str(v).encode()) for v in inner)
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, (int, float, Decimal)):
        return _number_size(str(value))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + value_size(v) + 1 for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return 3 + sum(value_size(v) + 1 for v in value)
    return len(str(value).encode())


def _number_size(text: str) -> int:
    digits = text.strip().lstrip("-").replace(".", "").lstrip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("S", "N"):
        return next(iter(value.values()))
    return value


@dataclass
class DynamoWrite:
    operation: str
    sk: str
    size: int
    wru: float
    gsi_wru: float
    note: str


@dataclass
class _State:
    calls: Counter = field(default_factory=Counter)
    wru: float = 0.0
    gsi_wru: float = 0.0
    rru: float = 0.0
    writes: list[DynamoWrite] = field(default_factory=list)
    reads: list[tuple[str, str, int, float]] = field(default_factory=list)  # (op, what, bytes, rru)


@dataclass(frozen=True)
class Mark:
    calls: Counter
    writes: int
    reads: int
    wru: float
    gsi_wru: float
    rru: float


class AwsCallCounter:
    #: GSI name -> (partition key attribute, projection)
    INDEXES = {r.GSI_LIST: (r.GSI_LIST_PARTITION_KEY, "ALL"), r.GSI_LOOKUP: (r.GSI_LOOKUP_PARTITION_KEY, "KEYS_ONLY")}

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self._items: dict[tuple[str, str], dict[str, Any]] = {}  # (pk, sk) -> last known item (plain)

    def install(self, events: Any) -> None:
        events.register("before-call", self._before_call)
        events.register("after-call.dynamodb", self._after_call)

    # --- reading --------------------------------------------------------------------------------
    def snapshot(self) -> Mark:
        with self._lock:
            s = self._state
            return Mark(Counter(s.calls), len(s.writes), len(s.reads), s.wru, s.gsi_wru, s.rru)

    def since(self, mark: Mark) -> dict[str, int]:
        with self._lock:
            diff = self._state.calls - mark.calls
        return dict(sorted(diff.items()))

    def units_since(self, mark: Mark) -> dict[str, Any]:
        with self._lock:
            s = self._state
            return {
                "wru": s.wru - mark.wru,
                "gsi_wru": s.gsi_wru - mark.gsi_wru,
                "rru": s.rru - mark.rru,
                "writes": list(s.writes[mark.writes:]),
                "reads": list(s.reads[mark.reads:]),
            }

    # --- hooks ----------------------------------------------------------------------------------
    def _before_call(self, params: Any = None, model: Any = None, context: Any = None, **kwargs: Any) -> None:
        service = model.service_model.service_id.hyphenize() if model is not None else "?"
        operation = model.name if model is not None else "?"
        with self._lock:
            self._state.calls[f"{service}.{operation}"] += 1
        if service != "dynamodb" or not isinstance(params, dict):
            return
        try:  # `params` is the serialised request: DynamoDB's JSON body holds the typed items
            body = json.loads(params.get("body") or b"{}")
        except ValueError:
            return
        if isinstance(context, dict):  # after-call gets the same context: how the read was made
            context["bench_consistent"] = bool(body.get("ConsistentRead")) and "IndexName" not in body
        with self._lock:
            self._account_write(operation, body)

    def _after_call(self, parsed: Any = None, model: Any = None, context: Any = None, **kwargs: Any) -> None:
        if model is None or not isinstance(parsed, dict) or "Error" in parsed:
            return
        operation = model.name
        factor = 1.0 if isinstance(context, dict) and context.get("bench_consistent") else 0.5
        with self._lock:
            if operation == "GetItem":
                item = parsed.get("Item")
                size = item_size(item) if item else 0
                units = max(1, math.ceil(size / 4096)) * factor
                self._state.rru += units
                self._state.reads.append(("GetItem", _describe(item), size, units))
            elif operation == "Query":
                items = parsed.get("Items") or []
                size = sum(item_size(i) for i in items)
                units = max(1, math.ceil(size / 4096)) * factor
                self._state.rru += units
                self._state.reads.append(("Query", f"{len(items)} items", size, units))

    # --- DynamoDB write accounting ------------------------------------------------------------------
    def _account_write(self, operation: str, params: dict[str, Any]) -> None:
        if operation == "PutItem":
            self._put(params["Item"], "PutItem")
        elif operation == "DeleteItem":
            self._delete(params["Key"], "DeleteItem")
        elif operation == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                if "Put" in entry:
                    self._put(entry["Put"]["Item"], "TransactWriteItems.Put", factor=2)
                elif "Delete" in entry:
                    self._delete(entry["Delete"]["Key"], "TransactWriteItems.Delete", factor=2)
                elif "Update" in entry or "ConditionCheck" in entry:
                    self._state.wru += 2
        elif operation in ("UpdateItem", "BatchWriteItem"):
            self._state.wru += 1  # not used by Belltower; counted at the minimum

    def _put(self, item: dict[str, Any], operation: str, factor: int = 1) -> None:
        plain = {k: _plain(v) for k, v in item.items()}
        key = (str(plain.get(r.TABLE_PARTITION_KEY)), str(plain.get(r.TABLE_SORT_KEY)))
        old = self._items.get(key)
        size = item_size(item)
        old_size = old["__size"] if old else 0
        wru = math.ceil(max(size, old_size) / 1024) * factor
        gsi, notes = 0.0, []
        for index, (attribute, projection) in self.INDEXES.items():
            new_key = plain.get(attribute)
            old_key = old.get(attribute) if old else None
            if new_key is None and old_key is None:
                continue
            if new_key is not None and old_key is not None and new_key == old_key:
                if projection == "ALL":
                    gsi += math.ceil(size / 1024)
                    notes.append(f"{index} update")
                continue
            changes = (new_key is not None) + (old_key is not None)
            # An index entry costs by its projected size: the whole item for ALL, ~keys otherwise.
            entry = math.ceil(size / 1024) if projection == "ALL" else 1
            gsi += entry if new_key is not None else 0
            gsi += (math.ceil(old["__size"] / 1024) if projection == "ALL" else 1) if old_key is not None else 0
            notes.append(f"{index} {'put' if new_key else 'delete'}{'+delete' if changes == 2 else ''}")
        self._state.wru += wru
        self._state.gsi_wru += gsi
        self._state.writes.append(DynamoWrite(operation, _describe(plain), size, wru, gsi, ", ".join(notes)))
        self._items[key] = {**plain, "__size": size}

    def _delete(self, key_item: dict[str, Any], operation: str, factor: int = 1) -> None:
        plain = {k: _plain(v) for k, v in key_item.items()}
        key = (str(plain.get(r.TABLE_PARTITION_KEY)), str(plain.get(r.TABLE_SORT_KEY)))
        old = self._items.pop(key, None)
        size = old["__size"] if old else 0
        wru = max(1, math.ceil(size / 1024)) * factor
        gsi = sum(1 for attribute, _ in self.INDEXES.values() if old and old.get(attribute) is not None)
        self._state.wru += wru
        self._state.gsi_wru += gsi
        self._state.writes.append(DynamoWrite(operation, _describe(plain), size, wru, gsi, "delete"))


def _describe(item: dict[str, Any] | None) -> str:
    if not item:
        return "(none)"
    sk = str(_plain(item.get(r.TABLE_SORT_KEY, "")))
    state = _plain(item.get("state"))
    kind = sk.split("#", 1)[0]
    if kind.startswith("evt_") or str(_plain(item.get(r.TABLE_PARTITION_KEY, ""))).endswith("#events"):
        kind = "event"
    return f"{kind}" + (f" state={state}" if state else "")
