"""DynamoDB: the source of truth. One table; item layout in docs/decisions.md.

Documents are stored as a JSON string (`doc`) next to the few attributes that keys, indexes and
conditions need. Schedule and occurrence documents leave out their empty fields (`_compact`): a
typical schedule item then stays under 1 KB, one write unit per write instead of two (and as much
again in the list index, which projects the whole item). Every write of a schedule or occurrence is conditional on its `version`, so two
writers never silently overwrite each other (the loser gets `Conflict` and re-reads).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from belltower import resources as r
from belltower.domain.errors import InvalidRequest
from belltower.domain.events import Event
from belltower.domain.models import FINAL_SCHEDULE_STATES, Endpoint, Occurrence, Schedule

PK, SK = r.TABLE_PARTITION_KEY, r.TABLE_SORT_KEY


class StaleWrite(Exception):
    """The item changed since it was read (or already exists): re-read and decide again."""


class MissingReference(Exception):
    """A write named an item that does not exist (a schedule's endpoint profile)."""


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def _compact(doc: dict[str, Any]) -> str:
    """A document as stored: without its empty top-level fields (from_doc restores them)."""
    return json.dumps({k: v for k, v in doc.items() if v is not None and v != {} and v != []},
                      separators=(",", ":"))  # fmt: skip


#: Page size when a caller walks a whole listing.
SCAN_PAGE = 100


def all_items(listing: Callable[..., Page], *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Every item of a store listing, in its order, following its cursors page by page:
    `listing(*args, limit=SCAN_PAGE, cursor=..., **kwargs)` (stop early by not iterating on)."""
    cursor = None
    while True:
        page = listing(*args, limit=SCAN_PAGE, cursor=cursor, **kwargs)
        yield from page.items
        if not page.has_more:
            return
        cursor = page.next_cursor


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, expected_keys: set[str], partition: tuple[str, str]) -> dict[str, Any]:
    """An opaque cursor back into an ExclusiveStartKey of this very listing, or a 400."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        key = None
    if (
        not isinstance(key, dict)
        or set(key) != expected_keys
        or not all(isinstance(v, str) for v in key.values())
        or key.get(partition[0]) != partition[1]
    ):
        raise InvalidRequest("`cursor` is not a cursor of this list", param="cursor",
                             code="invalid_field")  # fmt: skip
    return key


def _schedule_pk(project_id: str, schedule_id: str) -> str:
    return f"{project_id}#{schedule_id}"


def _events_pk(project_id: str) -> str:
    return f"{project_id}#events"


def _idempotency_pk(project_id: str, key_digest: str) -> str:
    return f"{project_id}#idempotency#{key_digest}"


def _endpoint_key(project_id: str, endpoint_id: str) -> dict[str, str]:
    return {PK: f"{project_id}#{endpoint_id}", SK: "endpoint"}


class Store:
    def __init__(self, table: Any):
        self._table = table
        # The resource's client serialises plain Python values itself (transactions included).
        self._client = table.meta.client

    @classmethod
    def for_table(cls, table_name: str) -> Store:
        import boto3

        return cls(boto3.resource("dynamodb").Table(table_name))

    # --- generic helpers ------------------------------------------------------------------------
    def _put_new(self, item: dict[str, Any]) -> None:
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            raise StaleWrite(item[PK]) from exc

    def _put_versioned(self, item: dict[str, Any], expected_version: int) -> None:
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression="attribute_exists(pk) AND version = :v",
                ExpressionAttributeValues={":v": expected_version},
            )
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            raise StaleWrite(item[PK]) from exc

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """One TransactWriteItems; None when it committed, else each item's cancellation code."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as exc:
            return [reason.get("Code", "None") for reason in exc.response.get("CancellationReasons", [])]
        return None

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return self._table.get_item(Key={PK: pk, SK: sk}, ConsistentRead=True).get("Item")

    def _query_pages(
        self, limit: int, cursor_keys: set[str], partition: tuple[str, str], cursor: str | None,
        **query: Any,
    ) -> Page:  # fmt: skip
        """Query with an optional filter, collecting up to `limit` items across DynamoDB pages."""
        start = decode_cursor(cursor, cursor_keys, partition) if cursor else None
        items: list[dict[str, Any]] = []
        last_key: dict[str, Any] | None = None
        while True:
            if start:
                query["ExclusiveStartKey"] = start
            resp = self._table.query(Limit=max(limit - len(items), 1) + 1, **query)
            for item in resp.get("Items", []):
                if len(items) == limit:
                    return Page(items, _encode_cursor(last_key))
                items.append(item)
                last_key = {k: item[k] for k in cursor_keys}
            start = resp.get("LastEvaluatedKey")
            if not start:
                return Page(items, None)

    # --- projects and API keys -----------------------------------------------------------------
    def get_project(self, project_id: str) -> dict[str, Any] | None:
        item = self._get(f"project#{project_id}", "project")
        return None if item is None else json.loads(item["doc"])

    def find_project_id(self, name: str) -> str | None:
        item = self._get(f"project_name#{name}", "project_name")
        return None if item is None else item["project_id"]

    def create_project(self, project: dict[str, Any]) -> None:
        """Creates the project and claims its name atomically; StaleWrite if the name is taken."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table.name, "Item": ({
                        PK: f"project_name#{project['name']}", SK: "project_name",
                        "project_id": project["id"]}),
                        "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Put": {"TableName": self._table.name, "Item": ({
                        PK: f"project#{project['id']}", SK: "project", "version": 1,
                        "doc": json.dumps(project)}),
                        "ConditionExpression": "attribute_not_exists(pk)"}},
                ]
            )  # fmt: skip
        except self._client.exceptions.TransactionCanceledException as exc:
            raise StaleWrite(project["name"]) from exc

    def get_project_versioned(self, project_id: str) -> tuple[dict[str, Any], int] | None:
        """The project document and its version, for a read-modify-write (`save_project`)."""
        item = self._get(f"project#{project_id}", "project")
        return None if item is None else (json.loads(item["doc"]), int(item["version"]))

    def save_project(self, project: dict[str, Any], expected_version: int) -> None:
        """Write back a project read with `get_project_versioned`; StaleWrite if it changed."""
        self._put_versioned({PK: f"project#{project['id']}", SK: "project", "version": expected_version + 1,
                             "doc": json.dumps(project)}, expected_version)  # fmt: skip

    def put_api_key(self, key_hash: str, meta: dict[str, Any]) -> None:
        """The lookup item (by hash, for authentication) and the listing item, together."""
        project_pk = f"project#{meta['project_id']}"
        self._client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self._table.name, "Item": ({
                    PK: f"api_key#{key_hash}", SK: "api_key", "project_id": meta["project_id"],
                    "key_id": meta["id"]}),
                    "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": self._table.name, "Item": ({
                    PK: project_pk, SK: f"api_key#{meta['id']}", "key_hash": key_hash,
                    "doc": json.dumps(meta)})}},
            ]
        )  # fmt: skip

    def find_api_key(self, key_hash: str) -> dict[str, Any] | None:
        item = self._get(f"api_key#{key_hash}", "api_key")
        return None if item is None else {"project_id": item["project_id"], "key_id": item["key_id"]}

    def list_api_keys(self, project_id: str) -> list[dict[str, Any]]:
        resp = self._table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
            ExpressionAttributeValues={":pk": f"project#{project_id}", ":sk": "api_key#"},
        )
        return [json.loads(item["doc"]) for item in resp.get("Items", [])]

    def revoke_api_key(self, project_id: str, key_id: str, revoked_at: str) -> dict[str, Any] | None:
        item = self._get(f"project#{project_id}", f"api_key#{key_id}")
        if item is None:
            return None
        meta = {**json.loads(item["doc"]), "revoked_at": revoked_at}
        self._client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self._table.name,
                            "Key": ({PK: f"api_key#{item['key_hash']}", SK: "api_key"})}},
                {"Put": {"TableName": self._table.name, "Item": ({
                    **item, "doc": json.dumps(meta)})}},
            ]
        )  # fmt: skip
        return meta

    # --- schedules -------------------------------------------------------------------------------
    # A schedule that uses an endpoint profile is counted in the profile's `in_use` from its
    # creation until it is completed or cancelled (item attribute `endpoint_ref` while counted),
    # each change in the same transaction as the schedule write, so a profile in use cannot be
    # deleted (`delete_endpoint`) and the count never drifts.
    def _schedule_item(self, schedule: Schedule, version: int, counted: str | None) -> dict[str, Any]:
        item = {
            PK: _schedule_pk(schedule.project_id, schedule.id),
            SK: "schedule",
            r.GSI_LIST_PARTITION_KEY: f"{schedule.project_id}#schedules",
            r.GSI_LIST_SORT_KEY: schedule.id,
            "state": schedule.state,
            "kind": schedule.kind,
            "version": version,
            "doc": _compact(schedule.to_doc()),
        }
        if counted is not None:
            item["endpoint_ref"] = counted
        return item

    def _count_use(self, project_id: str, endpoint_id: str, delta: int) -> dict[str, Any]:
        return {"Update": {"TableName": self._table.name, "Key": _endpoint_key(project_id, endpoint_id),
                           "UpdateExpression": "ADD in_use :d", "ConditionExpression": "attribute_exists(pk)",
                           "ExpressionAttributeValues": {":d": delta}}}  # fmt: skip

    @staticmethod
    def _should_count(schedule: Schedule) -> str | None:
        return None if schedule.state in FINAL_SCHEDULE_STATES else schedule.endpoint_id

    def create_schedule(self, schedule: Schedule) -> None:
        """StaleWrite if the id exists; MissingReference if its endpoint profile does not."""
        self._write_schedule(schedule, {"ConditionExpression": "attribute_not_exists(pk)"}, version=1)

    def save_schedule(self, schedule: Schedule) -> None:
        """Write back a schedule read earlier; StaleWrite if someone else wrote it meanwhile;
        MissingReference if it now names an endpoint profile that does not exist."""
        self._write_schedule(schedule, {"ConditionExpression": "attribute_exists(pk) AND version = :v",
                                        "ExpressionAttributeValues": {":v": schedule.version}},
                             version=schedule.version + 1)  # fmt: skip

    def _write_schedule(self, schedule: Schedule, condition: dict[str, Any], *, version: int) -> None:
        """One write, plus the `in_use` moves of its endpoint profiles in the same transaction."""
        counted, wanted = schedule.counted_endpoint, self._should_count(schedule)
        item = self._schedule_item(schedule, version, wanted)
        if counted == wanted:
            try:
                self._table.put_item(Item=item, **condition)
            except self._client.exceptions.ConditionalCheckFailedException as exc:
                raise StaleWrite(schedule.id) from exc
        else:
            moves = ([self._count_use(schedule.project_id, counted, -1)] if counted else []) + (
                [self._count_use(schedule.project_id, wanted, 1)] if wanted else [])  # fmt: skip
            codes = self._transact([{"Put": {"TableName": self._table.name, "Item": item, **condition}}, *moves])
            if codes is not None:
                if wanted and codes[-1] == "ConditionalCheckFailed" and codes[0] != "ConditionalCheckFailed":
                    raise MissingReference(wanted)
                raise StaleWrite(schedule.id)
        schedule.counted_endpoint, schedule.version = wanted, version

    def delete_schedule(self, project_id: str, schedule_id: str, *, endpoint_id: str | None = None) -> None:
        """Remove a schedule that never took effect; `endpoint_id` if it was counted in that profile."""
        key = {PK: _schedule_pk(project_id, schedule_id), SK: "schedule"}
        if endpoint_id is None:
            self._table.delete_item(Key=key)
            return
        self._transact([
            {"Delete": {"TableName": self._table.name, "Key": key, "ConditionExpression": "attribute_exists(pk)"}},
            self._count_use(project_id, endpoint_id, -1),
        ])  # fmt: skip

    def get_schedule(self, project_id: str, schedule_id: str) -> Schedule | None:
        item = self._get(_schedule_pk(project_id, schedule_id), "schedule")
        if item is None:
            return None
        schedule = Schedule.from_doc(json.loads(item["doc"]))
        schedule.version = int(item["version"])
        schedule.counted_endpoint = item.get("endpoint_ref")
        return schedule

    def list_schedules(
        self, project_id: str, *, limit: int, cursor: str | None = None,
        state: str | None = None, kind: str | None = None,
    ) -> Page:  # fmt: skip
        """Newest first (ids sort by creation)."""
        filters, values, names = [], {":p": f"{project_id}#schedules"}, {}
        for attr, value in (("state", state), ("kind", kind)):
            if value is not None:
                filters.append(f"#{attr} = :{attr}")
                values[f":{attr}"] = value
                names[f"#{attr}"] = attr
        query: dict[str, Any] = {
            "IndexName": r.GSI_LIST,
            "KeyConditionExpression": f"{r.GSI_LIST_PARTITION_KEY} = :p",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
            query["ExpressionAttributeNames"] = names
        keys = {PK, SK, r.GSI_LIST_PARTITION_KEY, r.GSI_LIST_SORT_KEY}
        partition = (r.GSI_LIST_PARTITION_KEY, values[":p"])
        page = self._query_pages(limit, keys, partition, cursor, **query)
        return Page([Schedule.from_doc(json.loads(i["doc"])) for i in page.items], page.next_cursor)

    # --- idempotency records ----------------------------------------------------------------------
    # Item: pk=<project>#idempotency#<sha256 of the key>, sk=idempotency; `fingerprint` (of the
    # body), `schedule_id`, `state` (pending|done), `claimed_at` and `expires_at` (DynamoDB TTL,
    # which deletes late: readers also compare it with the time).
    def get_idempotency(self, project_id: str, key_digest: str) -> dict[str, Any] | None:
        item = self._get(_idempotency_pk(project_id, key_digest), "idempotency")
        if item is None:
            return None
        return {"fingerprint": item["fingerprint"], "schedule_id": item["schedule_id"], "state": item["state"],
                "claimed_at": int(item["claimed_at"]), r.TABLE_TTL_ATTRIBUTE: int(item[r.TABLE_TTL_ATTRIBUTE])}  # fmt: skip

    def claim_idempotency(
        self, project_id: str, key_digest: str, *, fingerprint: str, schedule_id: str, now: int,
        expires_at: int, abandoned_before: int,
    ) -> bool:  # fmt: skip
        """Write a pending record unless a live one exists; a pending one claimed before
        `abandoned_before` (its request died) may be taken over. False: another request holds it."""
        try:
            self._table.put_item(
                Item={PK: _idempotency_pk(project_id, key_digest), SK: "idempotency", "fingerprint": fingerprint,
                      "schedule_id": schedule_id, "state": "pending", "claimed_at": now,
                      r.TABLE_TTL_ATTRIBUTE: expires_at},
                ConditionExpression=(
                    "attribute_not_exists(pk) OR #ttl < :now OR (#state = :pending AND claimed_at < :abandoned)"
                ),
                ExpressionAttributeNames={"#ttl": r.TABLE_TTL_ATTRIBUTE, "#state": "state"},
                ExpressionAttributeValues={":now": now, ":pending": "pending", ":abandoned": abandoned_before},
            )  # fmt: skip
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def finish_idempotency(self, project_id: str, key_digest: str, schedule_id: str) -> None:
        self._table.update_item(
            Key={PK: _idempotency_pk(project_id, key_digest), SK: "idempotency"},
            UpdateExpression="SET #state = :done",
            ConditionExpression="schedule_id = :id",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":done": "done", ":id": schedule_id},
        )

    def release_idempotency(self, project_id: str, key_digest: str, schedule_id: str) -> None:
        """Forget a pending claim whose schedule was not created (so the key can be used again)."""
        try:
            self._table.delete_item(
                Key={PK: _idempotency_pk(project_id, key_digest), SK: "idempotency"},
                ConditionExpression="schedule_id = :id AND #state = :pending",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":id": schedule_id, ":pending": "pending"},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return

    # --- lifecycle events ------------------------------------------------------------------------
    # Item: pk=<project>#events, sk=<id of its last event> (ids sort by creation), `doc` (a JSON
    # list of the events it holds, in order), `expires_at` (TTL). One PutItem records the events
    # of one step together (an occurrence's outcome and its one-shot's completion: one write unit
    # instead of two); the feed is one Query of the project's partition, items expanded in order.
    def put_events(self, events: list[Event], expires_at: int) -> None:
        self._table.put_item(Item={
            PK: _events_pk(events[0].project_id), SK: events[-1].id,
            "doc": json.dumps([e.to_doc() for e in events], separators=(",", ":")), r.TABLE_TTL_ATTRIBUTE: expires_at,
        })  # fmt: skip

    def list_events(self, project_id: str, *, after: str | None, until: str, limit: int) -> Page:
        """Oldest first: events with `after` < id <= `until`; `next_cursor` is the last id when more follow."""
        values = {":p": _events_pk(project_id), ":lo": after or "evt_", ":hi": until}
        events: list[Event] = []
        start: dict[str, Any] | None = None
        while len(events) <= limit:
            query: dict[str, Any] = {
                "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi",
                "ExpressionAttributeValues": values, "ConsistentRead": True, "Limit": limit + 2,
            }  # fmt: skip
            if start:
                query["ExclusiveStartKey"] = start
            resp = self._table.query(**query)
            for item in resp.get("Items", []):
                events += [e for e in map(Event.from_doc, json.loads(item["doc"])) if after is None or e.id > after]
            start = resp.get("LastEvaluatedKey")
            if not start:
                break
        page = events[:limit]
        return Page(page, page[-1].id if len(events) > limit else None)

    # --- endpoint profiles -----------------------------------------------------------------------
    # Item: pk=<project>#<endpoint id>, sk=endpoint; GSI1 <project>#endpoints lists them newest
    # first; `in_use` counts the schedules that reference it (see the schedules section).
    def _endpoint_from(self, item: dict[str, Any]) -> Endpoint:
        endpoint = Endpoint.from_doc(json.loads(item["doc"]))
        endpoint.version = int(item["version"])
        endpoint.in_use = int(item.get("in_use", 0))
        return endpoint

    def create_endpoint(self, endpoint: Endpoint) -> None:
        self._put_new({
            **_endpoint_key(endpoint.project_id, endpoint.id),
            r.GSI_LIST_PARTITION_KEY: f"{endpoint.project_id}#endpoints",
            r.GSI_LIST_SORT_KEY: endpoint.id,
            "version": 1,
            "in_use": 0,
            "doc": json.dumps(endpoint.to_doc()),
        })  # fmt: skip
        endpoint.version = 1

    def save_endpoint(self, endpoint: Endpoint) -> None:
        """Write back an edited profile (its `in_use` count untouched); StaleWrite if it changed."""
        try:
            self._table.update_item(
                Key=_endpoint_key(endpoint.project_id, endpoint.id),
                UpdateExpression="SET doc = :doc, version = :next",
                ConditionExpression="attribute_exists(pk) AND version = :v",
                ExpressionAttributeValues={":doc": json.dumps(endpoint.to_doc()), ":next": endpoint.version + 1,
                                           ":v": endpoint.version},
            )  # fmt: skip
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            raise StaleWrite(endpoint.id) from exc
        endpoint.version += 1

    def get_endpoint(self, project_id: str, endpoint_id: str) -> Endpoint | None:
        key = _endpoint_key(project_id, endpoint_id)
        item = self._get(key[PK], key[SK])
        return None if item is None else self._endpoint_from(item)

    def delete_endpoint(self, project_id: str, endpoint_id: str) -> None:
        """Delete a profile no schedule uses; StaleWrite if it is missing or in use (re-read to tell)."""
        try:
            self._table.delete_item(
                Key=_endpoint_key(project_id, endpoint_id),
                ConditionExpression="attribute_exists(pk) AND in_use = :zero",
                ExpressionAttributeValues={":zero": 0},
            )
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            raise StaleWrite(endpoint_id) from exc

    def list_endpoints(self, project_id: str, *, limit: int, cursor: str | None = None) -> Page:
        """Newest first (ids sort by creation)."""
        partition = (r.GSI_LIST_PARTITION_KEY, f"{project_id}#endpoints")
        page = self._query_pages(
            limit, {PK, SK, r.GSI_LIST_PARTITION_KEY, r.GSI_LIST_SORT_KEY}, partition, cursor,
            IndexName=r.GSI_LIST, KeyConditionExpression=f"{r.GSI_LIST_PARTITION_KEY} = :p",
            ExpressionAttributeValues={":p": partition[1]}, ScanIndexForward=False,
        )  # fmt: skip
        return Page([self._endpoint_from(item) for item in page.items], page.next_cursor)

    # --- occurrences -----------------------------------------------------------------------------
    def _occurrence_item(self, occ: Occurrence, version: int, expires_at: int | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            PK: _schedule_pk(occ.project_id, occ.schedule_id),
            SK: f"occurrence#{occ.id}",
            r.GSI_LOOKUP_PARTITION_KEY: f"{occ.project_id}#{occ.id}",
            "state": occ.state,
            "version": version,
            "doc": _compact(occ.to_doc()),
        }
        if occ.state == "dead_lettered":
            item[r.GSI_LIST_PARTITION_KEY] = f"{occ.project_id}#dead_letters"
            item[r.GSI_LIST_SORT_KEY] = occ.id
        if expires_at is not None:
            item[r.TABLE_TTL_ATTRIBUTE] = expires_at
        return item

    def create_occurrence(self, occ: Occurrence, expires_at: int | None = None) -> bool:
        """False when the occurrence already exists (a duplicate fire)."""
        try:
            self._put_new(self._occurrence_item(occ, 1, expires_at))
        except StaleWrite:
            return False
        occ.version = 1
        return True

    def save_occurrence(self, occ: Occurrence, expires_at: int | None = None) -> None:
        self._put_versioned(self._occurrence_item(occ, occ.version + 1, expires_at), occ.version)
        occ.version += 1

    def get_occurrence(self, project_id: str, schedule_id: str, occurrence_id: str) -> Occurrence | None:
        item = self._get(_schedule_pk(project_id, schedule_id), f"occurrence#{occurrence_id}")
        if item is None:
            return None
        occ = Occurrence.from_doc(json.loads(item["doc"]))
        occ.version = int(item["version"])
        return occ

    def find_occurrence(self, project_id: str, occurrence_id: str) -> Occurrence | None:
        """By id alone, through the lookup index, then a consistent read of the item itself."""
        resp = self._table.query(
            IndexName=r.GSI_LOOKUP,
            KeyConditionExpression=f"{r.GSI_LOOKUP_PARTITION_KEY} = :k",
            ExpressionAttributeValues={":k": f"{project_id}#{occurrence_id}"},
        )
        for item in resp.get("Items", []):
            schedule_id = item[PK].split("#", 1)[1]
            return self.get_occurrence(project_id, schedule_id, occurrence_id)
        return None

    def list_occurrences(
        self, project_id: str, schedule_id: str, *, limit: int, cursor: str | None = None,
        state: str | None = None,
    ) -> Page:  # fmt: skip
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
            "ExpressionAttributeValues": {":pk": _schedule_pk(project_id, schedule_id), ":sk": "occurrence#"},
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if state is not None:
            query["FilterExpression"] = "#state = :state"
            query["ExpressionAttributeNames"] = {"#state": "state"}
            query["ExpressionAttributeValues"][":state"] = state
        partition = (PK, _schedule_pk(project_id, schedule_id))
        page = self._query_pages(limit, {PK, SK}, partition, cursor, **query)
        return Page([Occurrence.from_doc(json.loads(i["doc"])) for i in page.items], page.next_cursor)

    def delete_occurrence(self, occ: Occurrence) -> None:
        self._table.delete_item(Key={PK: _schedule_pk(occ.project_id, occ.schedule_id), SK: f"occurrence#{occ.id}"})

    def list_dead_letters(self, project_id: str, *, limit: int, cursor: str | None = None) -> Page:
        """Dead-lettered occurrences of the project, newest first."""
        partition = (r.GSI_LIST_PARTITION_KEY, f"{project_id}#dead_letters")
        query: dict[str, Any] = {
            "IndexName": r.GSI_LIST,
            "KeyConditionExpression": f"{r.GSI_LIST_PARTITION_KEY} = :p",
            "ExpressionAttributeValues": {":p": partition[1]},
            "ScanIndexForward": False,
        }
        keys = {PK, SK, r.GSI_LIST_PARTITION_KEY, r.GSI_LIST_SORT_KEY}
        page = self._query_pages(limit, keys, partition, cursor, **query)
        return Page([Occurrence.from_doc(json.loads(i["doc"])) for i in page.items], page.next_cursor)

    def iter_open_occurrences(self, project_id: str, schedule_id: str) -> Iterator[Occurrence]:
        """Occurrences of a schedule that have not finished (cancel uses this)."""
        for occ in all_items(self.list_occurrences, project_id, schedule_id):
            if not occ.is_terminal:
                yield self.get_occurrence(project_id, schedule_id, occ.id) or occ


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())
