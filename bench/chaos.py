"""The fault-injection run: many schedules under injected faults, then check that nothing was lost.

    python -m bench.chaos                        # make chaos: 2,000 schedules, about 8 minutes
    python -m bench.chaos --schedules 200 --time-scale 0.05 --recurring-share 0 --retry-mode standard --max-attempts 10

What runs: `belltower dev` itself (`run_dev`, in a thread of this process: embedded AWS, the
EventBridge Scheduler / Lambda stand-in, the delivery and API handlers, the API over HTTP), with
`belltower.local.faults.LocalFaults` installed through its hook. The receiver is a separate
process (`python -m bench.receiver`), like a real destination. Schedules are created through the
HTTP API by 8 client threads: one-shots, and 10% recurring (`every: "1m"`, `max_runs`, a
`start_at`), each due 10-45 s after its creation. Every random choice follows `--seed`.

Faults:
- receiver, per (occurrence, attempt): 500 for 30%, hang past the timeout for 10%, connection
  reset without a response for 5% (the caller sees a connection error, as with a refusal);
- AWS: 10% of the HTTP requests to EventBridge Scheduler and DynamoDB answered with a throttling
  error before they leave botocore (`before-send`), so botocore parses and retries them as real
  ones. The functions' clients use botocore's legacy retry mode with max_attempts=2 (one retry,
  with legacy's short DynamoDB backoff): about 1% of calls surface to Belltower. botocore's own
  default (standard mode, 3 attempts: `--retry-mode default`) lets about 0.1% surface.
- the delivery function killed mid-attempt for 2% of attempts (before the request is sent, or
  after the answer came back and before it is recorded); the stand-in replays the event after
  Lambda's async-retry delays (1 min, then 2 min; times --time-scale);
- 5% of fire times handed to the delivery function twice (0-2 s apart).

Retry policy of every schedule: 4 attempts, exponential from 1 s by a factor 3 (1 s, 3 s, 9 s:
the first retry is invoked directly, the later ones go through EventBridge at() schedules),
no jitter, timeout 2 s (the hang is 3 s).

--time-scale s (default 0.1) scales Lambda's retry delays (60 s, 120 s) AND the delivery lease
grace (`belltower.service.delivery.LEASE_GRACE`, 60 s) by the same factor, so that their ratio,
which decides whether a replayed event may take over a dead attempt, stays what it is on AWS.
Retry-After of a 503 is honoured, times the same factor.

Checks (exit status 1 if any fails):
1. every occurrence created reached a terminal state (and every schedule completed); every fire
   time has exactly one occurrence;
2. every occurrence the receiver acknowledged is `succeeded`; the receiver saw the
   Idempotency-Key of each success;
3. the DLQ holds exactly the dead-lettered occurrences, each with its full context;
4. no API call answered 5xx except `503 scheduler_unavailable` with Retry-After, and none of
   those left a schedule half-created (an item without its timer, a timer without its item).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from bench.devserver import api_request, free_port
from bench.receiver import ACK, Delivery

REPO = Path(__file__).resolve().parent.parent
TERMINAL = {"succeeded", "dead_lettered", "expired", "skipped", "cancelled"}
RETRY_POLICY = {"max_attempts": 4, "strategy": "exponential", "base": "1s", "factor": 3, "jitter": False}
TIMEOUT_SECONDS, HANG_SECONDS = 2, 3


@dataclass
class Config:
    schedules: int = 2000
    seed: int = 20261123
    recurring_share: float = 0.1
    max_runs: int = 2
    time_scale: float = 0.1
    clients: int = 8  # API client threads (the local gateway runs one request at a time)
    #: botocore retry configuration of the functions' clients ("default": botocore's own,
    #: standard mode with 3 attempts; legacy with max_attempts 2 lets ~1% of calls surface).
    retry_mode: str = "legacy"
    max_attempts: int | None = 2
    deadline: float = 500.0  # seconds from the start: give up waiting for quiescence
    #: Fire times (one-shot fire_at, recurring start_at): seconds after the schedule's creation.
    fire_window: tuple[float, float] = (10.0, 45.0)
    error_rate: float = 0.30
    hang_rate: float = 0.10
    refuse_rate: float = 0.05
    throttle_rate: float = 0.10
    kill_rate: float = 0.02
    duplicate_rate: float = 0.05
    log_path: Path = REPO / "build" / "chaos.log"


@dataclass
class Check:
    name: str
    ok: bool
    details: list[str] = field(default_factory=list)


@dataclass
class ApiCall:
    index: int
    attempt: int
    status: int | None
    code: str | None
    retry_after: str | None
    schedule_id: str | None
    error: str | None = None


def _draw(seed: int, *parts: object) -> float:
    from belltower.local.faults import draw

    return draw(seed, *parts)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# --- the run ------------------------------------------------------------------------------------

class _Banner:
    """`out` for run_dev: notices "Ready."."""

    def __init__(self) -> None:
        self.text = ""
        self.ready = threading.Event()

    def write(self, text: str) -> int:
        self.text += text
        if "Ready." in self.text:
            self.ready.set()
        return len(text)

    def flush(self) -> None:
        pass


class Chaos:
    def __init__(self, cfg: Config, report: TextIO) -> None:
        self.cfg = cfg
        self.out = report
        self.api_calls: list[ApiCall] = []
        self._lock = threading.Lock()
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        self.out.write(f"[{time.monotonic() - self.started:6.1f}s] {text}\n")
        self.out.flush()

    # --- pieces ---------------------------------------------------------------------------------
    def start_receiver(self) -> None:
        cfg = self.cfg
        self.record_path = cfg.log_path.with_name(f"chaos-receiver-{cfg.seed}.jsonl")
        self.record_path.write_text("")
        plan = {"seed": cfg.seed, "error_rate": cfg.error_rate, "hang_rate": cfg.hang_rate,
                "refuse_rate": cfg.refuse_rate, "hang_seconds": HANG_SECONDS}  # fmt: skip
        self.receiver = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", "--plan", json.dumps(plan), "--record", str(self.record_path)],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = self.receiver.stdout.readline().split()  # type: ignore[union-attr]
        if len(line) != 2 or line[0] != "READY":
            raise RuntimeError(f"the receiver did not start: {line}")
        self.receiver_url = line[1]

    def start_dev(self) -> None:
        from belltower.local.dev import run_dev
        from belltower.local.faults import LocalFaults

        cfg = self.cfg
        if cfg.time_scale != 1.0:
            from belltower.service import delivery

            delivery.LEASE_GRACE = timedelta(seconds=60 * cfg.time_scale)
        self.faults = LocalFaults(seed=cfg.seed, throttle_rate=cfg.throttle_rate, kill_rate=cfg.kill_rate,
                                  duplicate_rate=cfg.duplicate_rate, duplicate_delay_max=2.0,
                                  retry_mode=None if cfg.retry_mode == "default" else cfg.retry_mode,
                                  max_attempts=None if cfg.retry_mode == "default" else cfg.max_attempts)  # fmt: skip
        self.port, self.api_key = free_port(), "bt_" + secrets.token_urlsafe(24)
        self.api_url = f"http://127.0.0.1:{self.port}"
        self.stop = threading.Event()
        banner = _Banner()
        self.dev = threading.Thread(
            target=run_dev, name="belltower-dev",
            kwargs=dict(host="127.0.0.1", port=self.port, api_key=self.api_key, out=banner, stop=self.stop,
                        lambda_retry_delays=(60 * cfg.time_scale, 120 * cfg.time_scale), faults=self.faults),
            daemon=True,
        )  # fmt: skip
        self.dev.start()
        if not banner.ready.wait(90):
            raise RuntimeError(f"belltower dev did not start; see {cfg.log_path}")
        self._checker_session()
        self.faults.arm()

    def _checker_session(self) -> None:
        """AWS clients for the checks: same embedded AWS, no fault hooks."""
        import boto3

        from belltower.service.keys import authenticate
        from belltower.adapters.store import Store

        settings = self.faults.container.settings
        self.settings = settings
        session = boto3.session.Session()
        self.table = session.resource("dynamodb").Table(settings.table_name)
        self.sqs = session.client("sqs")
        self.scheduler_client = session.client("scheduler")
        self.project = authenticate(Store(self.table), f"Bearer {self.api_key}")

    def stop_all(self) -> None:
        if hasattr(self, "faults"):
            self.faults.disarm()
        if hasattr(self, "stop"):
            self.stop.set()
            self.dev.join(15)
        if hasattr(self, "receiver"):
            try:
                self.receiver.stdin.close()  # type: ignore[union-attr]
                self.receiver.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.receiver.kill()

    # --- creating -------------------------------------------------------------------------------
    def body(self, i: int) -> dict[str, Any]:
        cfg = self.cfg
        body: dict[str, Any] = {
            "endpoint": f"{self.receiver_url}/c/{i}", "name": f"chaos-{i:05d}", "body": {"i": i},
            "retry_policy": RETRY_POLICY, "timeout": f"{TIMEOUT_SECONDS}s",
        }  # fmt: skip
        low, high = cfg.fire_window
        at = int(time.time() + low + (high - low) * _draw(cfg.seed, "fire", i)) + 1
        if _draw(cfg.seed, "recurring", i) < cfg.recurring_share:
            start = datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            body.update(every="1m", max_runs=cfg.max_runs, start_at=start)
        else:
            body["fire_at"] = at
        return body

    def create_all(self) -> None:
        pending = list(range(self.cfg.schedules))
        pending.reverse()

        def client() -> None:
            while True:
                with self._lock:
                    if not pending:
                        return
                    i = pending.pop()
                self._create(i)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(self.cfg.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _create(self, i: int) -> None:
        body = self.body(i)
        for attempt in range(1, 9):
            try:
                answer = api_request(self.api_url, self.api_key, "POST", "/v1/schedules", body, timeout=60)
            except OSError as exc:
                self._log(ApiCall(i, attempt, None, None, None, None, f"{type(exc).__name__}: {exc}"))
                time.sleep(1.0 * self.cfg.time_scale)
                continue
            try:
                document = answer.json()
            except ValueError:
                document = {}
            code = (document.get("error") or {}).get("code") if isinstance(document, dict) else None
            schedule_id = document.get("id") if answer.status == 201 else None
            self._log(ApiCall(i, attempt, answer.status, code, answer.headers.get("retry-after"), schedule_id))
            if answer.status == 201:
                return
            if answer.status == 503:
                retry_after = float(answer.headers.get("retry-after") or 5)
                time.sleep(retry_after * self.cfg.time_scale)
            elif answer.status >= 500:
                time.sleep(1.0 * self.cfg.time_scale)
            else:
                return  # a 4xx: nothing to retry (reported)

    def _log(self, call: ApiCall) -> None:
        with self._lock:
            self.api_calls.append(call)

    # --- waiting ----------------------------------------------------------------------------------
    def schedule_states(self) -> Counter[str]:
        from boto3.dynamodb.conditions import Key

        from belltower import resources as r

        states: Counter[str] = Counter()
        kwargs: dict[str, Any] = {
            "IndexName": r.GSI_LIST,
            "KeyConditionExpression": Key(r.GSI_LIST_PARTITION_KEY).eq(f"{self.project['id']}#schedules"),
            "ProjectionExpression": "#s", "ExpressionAttributeNames": {"#s": "state"},
        }  # fmt: skip
        while True:
            page = self.table.query(**kwargs)
            states.update(item["state"] for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return states
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def wait_quiet(self) -> str:
        """Wait until every schedule completed, the stand-in is idle and no EventBridge schedule is
        left (a retry of an occurrence may outlive its recurring schedule) ("quiescent"), or nothing
        can happen any more ("stuck": open schedules, yet no EventBridge schedule left and no
        pending invocation or retry), or the deadline ("deadline")."""
        scheduler = self.faults.scheduler
        last, idle_polls, changed = None, 0, time.monotonic()
        # A recurring schedule may rest a full minute between fires: wait longer than that.
        stable_for = 60 + 30 * max(self.cfg.time_scale, 0.2)
        while time.monotonic() - self.started < self.cfg.deadline:
            states = self.schedule_states()
            pending = scheduler.stats()["pending"]
            if dict(states) != last:
                self.say(f"schedules {dict(states)}; stand-in work pending: {pending}")
                last, changed = dict(states), time.monotonic()
            if set(states) <= {"completed"} and pending == 0 and not self.timers() and scheduler.wait_idle(2):
                return "quiescent"
            idle_polls = idle_polls + 1 if pending == 0 else 0
            if idle_polls >= 3 and (not self.timers() or time.monotonic() - changed > stable_for):
                return "stuck"
            time.sleep(3)
        return "deadline"

    def timers(self) -> list[str]:
        names: list[str] = []
        kwargs = {"GroupName": self.settings.schedule_group}
        while True:
            page = self.scheduler_client.list_schedules(**kwargs)
            names += [s["Name"] for s in page.get("Schedules", [])]
            if not page.get("NextToken"):
                return names
            kwargs["NextToken"] = page["NextToken"]

    # --- collecting -------------------------------------------------------------------------------
    def collect(self) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self.table.scan(**kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        schedules = [json.loads(i["doc"]) for i in items if i.get("sk") == "schedule"]
        occurrences = [json.loads(i["doc"]) for i in items if str(i.get("sk", "")).startswith("occurrence#")]
        messages = []
        empty = 0
        while empty < 2:
            got = self.sqs.receive_message(QueueUrl=self.settings.dlq_url, MaxNumberOfMessages=10,
                                           VisibilityTimeout=3600, MessageAttributeNames=["All"],
                                           MessageSystemAttributeNames=["All"]).get("Messages", [])  # fmt: skip
            empty = 0 if got else empty + 1
            messages += got
        timers = self.timers()
        deliveries = [Delivery(**json.loads(line)) for line in self.record_path.read_text().splitlines() if line]
        return {"schedules": schedules, "occurrences": occurrences, "messages": messages, "timers": timers,
                "deliveries": deliveries}  # fmt: skip


# --- the checks ------------------------------------------------------------------------------------

def check_terminal_and_fires(data: dict[str, Any], handoffs: list[tuple[str, datetime, dict[str, Any]]],
                             max_runs: int) -> list[Check]:  # fmt: skip
    schedules = {s["id"]: s for s in data["schedules"]}
    occurrences = data["occurrences"]
    open_occurrences = [o for o in occurrences if o["state"] not in TERMINAL]
    open_schedules = [s for s in schedules.values() if s["state"] != "completed"]
    terminal = Check("every occurrence reached a terminal state (and every schedule completed)",
                     not open_occurrences and not open_schedules)  # fmt: skip
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for occ in occurrences:
        by_id[occ["schedule_id"]].append(occ)
    kinds: Counter[str] = Counter()
    for s in open_schedules:
        states = {o["state"] for o in by_id[s["id"]]}
        if not states:
            kinds["open schedule without any occurrence"] += 1
        elif states - TERMINAL:
            kinds[f"open {s['kind']} schedule with an occurrence stuck in {sorted(states - TERMINAL)}"] += 1
        else:
            kinds[f"open {s['kind']} schedule whose occurrences all finished"] += 1
    if kinds:
        terminal.details.append(f"{len(open_occurrences)} open occurrence(s); open schedules: {dict(kinds)}")
    terminal.details += [f"occurrence {o['id']} of {o['schedule_id']} is {o['state']} "
                         f"(attempts {len(o.get('attempts') or [])}, next_attempt {o.get('next_attempt')})"
                         for o in open_occurrences[:10]]  # fmt: skip
    by_schedule_all: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for occ in occurrences:
        by_schedule_all[occ["schedule_id"]].append(occ)
    terminal.details += [f"schedule {s['id']} ({s['kind']}) is {s['state']} (run_count {s.get('run_count')}); "
                         f"its occurrences: {[(o['state'], o.get('outcome')) for o in by_schedule_all[s['id']]]}"
                         for s in open_schedules[:10]]  # fmt: skip

    fired: dict[str, set[datetime]] = defaultdict(set)
    for _, _, event in handoffs:
        if event.get("type") == "fire":
            fired[event["schedule_id"]].add(_parse(event["scheduled_for"]))
    by_schedule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for occ in occurrences:
        by_schedule[occ["schedule_id"]].append(occ)
    problems: list[str] = []
    for schedule_id, schedule in schedules.items():
        occs = by_schedule.get(schedule_id, [])
        instants = Counter(_parse(o["scheduled_for"]) for o in occs)
        for instant, count in instants.items():
            if count > 1:
                problems.append(f"{schedule_id}: {count} occurrences for fire time {instant.isoformat()}")
        if schedule["kind"] == "recurring":
            for instant in instants:
                if instant not in fired[schedule_id]:
                    problems.append(f"{schedule_id}: an occurrence at {instant.isoformat()} that was never fired")
        if schedule["kind"] == "one_shot":  # fired by EventBridge, or directly when due within 2 s
            fire_at = _parse(schedule["fire_at"])
            if list(instants) != [fire_at]:
                problems.append(f"{schedule_id} (one-shot at {schedule['fire_at']}): occurrences at "
                                f"{sorted(i.isoformat() for i in instants)}; EventBridge fired "
                                f"{sorted(f.isoformat() for f in fired[schedule_id])}")  # fmt: skip
        else:
            last = max(instants) if instants else None
            missing = sorted(f for f in fired[schedule_id] if last is None or f <= last if f not in instants)
            if missing:
                problems.append(f"{schedule_id} (recurring): fired at {[m.isoformat() for m in missing]} "
                                "with no occurrence")  # fmt: skip
            counted = sum(1 for o in occs if o["state"] != "skipped")
            if schedule["state"] == "completed" and counted != max_runs:
                problems.append(f"{schedule_id} (recurring, max_runs {max_runs}): {counted} runs delivered")
    fires = Check("every fire time has exactly one occurrence", not problems, problems[:15])
    return [terminal, fires]


def check_acks(data: dict[str, Any]) -> tuple[Check, list[str]]:
    occurrences = {o["id"]: o for o in data["occurrences"]}
    acked: dict[str, set[str]] = defaultdict(set)
    for d in data["deliveries"]:
        if d.fault == ACK:
            acked[d.key].add(d.attempt)
    problems, lost_in_transit = [], []
    for key, attempts in acked.items():
        occ = occurrences.get(key)
        if occ is None:
            problems.append(f"acknowledged {key}, which is no occurrence")
        elif occ["state"] != "succeeded":
            recorded = {str(a["number"]): a for a in occ.get("attempts") or []}
            if all(recorded.get(n, {}).get("error") == "timeout" for n in attempts):
                lost_in_transit.append(f"{key}: acked attempt(s) {sorted(attempts)} recorded as timeouts "
                                       f"(the answer reached the caller after its {TIMEOUT_SECONDS}s timeout)")  # fmt: skip
            else:
                problems.append(f"{key}: receiver acknowledged attempt(s) {sorted(attempts)}, occurrence is "
                                f"{occ['state']} ({occ.get('outcome')}); attempts recorded: "
                                f"{[(a['number'], a.get('status_code'), a.get('error')) for a in occ.get('attempts') or []]}")  # fmt: skip
    for occ in occurrences.values():
        if occ["state"] == "succeeded" and occ["id"] not in acked:
            problems.append(f"{occ['id']} is succeeded but the receiver never acknowledged it")
    return Check("every acknowledged occurrence is succeeded; every success was acknowledged",
                 not problems, problems[:15]), lost_in_transit  # fmt: skip


def check_dlq(data: dict[str, Any]) -> tuple[Check, list[str]]:
    occurrences = {o["id"]: o for o in data["occurrences"]}
    schedules = {s["id"]: s for s in data["schedules"]}
    dead = {o["id"] for o in occurrences.values() if o["state"] in ("dead_lettered", "expired")}
    letters: Counter[str] = Counter()
    problems, notes = [], []
    others: Counter[str] = Counter()
    for message in data["messages"]:
        try:
            body = json.loads(message["Body"])
        except ValueError:
            problems.append(f"DLQ message {message['MessageId']} is not JSON")
            continue
        if body.get("type") == "belltower.dead_letter":
            occ_doc = body.get("occurrence") or {}
            key = occ_doc.get("id", "?")
            letters[key] += 1
            stored = occurrences.get(key)
            missing = [f for f in ("reason", "dead_lettered_at", "project_id", "occurrence", "schedule") if not body.get(f)]
            if missing:
                problems.append(f"dead letter of {key} lacks {missing}")
            if stored is None:
                continue
            if (body.get("schedule") or {}).get("id") != stored["schedule_id"]:
                problems.append(f"dead letter of {key} names schedule {(body.get('schedule') or {}).get('id')}")
            if len(occ_doc.get("attempts") or []) != len(stored.get("attempts") or []):
                problems.append(f"dead letter of {key} has {len(occ_doc.get('attempts') or [])} attempts, "
                                f"the occurrence {len(stored.get('attempts') or [])}")  # fmt: skip
            if body.get("reason") != stored.get("outcome"):
                problems.append(f"dead letter of {key}: reason {body.get('reason')}, outcome {stored.get('outcome')}")
            endpoint = (body.get("schedule") or {}).get("endpoint")
            if endpoint != (schedules.get(stored["schedule_id"]) or {}).get("request", {}).get("url"):
                problems.append(f"dead letter of {key} lacks the schedule's endpoint ({endpoint!r})")
        elif "requestContext" in body:
            payload = body.get("requestPayload") or {}
            error = (body.get("responsePayload") or {}).get("errorType")
            others[f"Lambda on-failure record ({error})"] += 1
            ref = payload.get("occurrence_id") or f"{payload.get('schedule_id')}@{payload.get('scheduled_for')}"
            notes.append(f"Lambda gave up on a {payload.get('type')} event ({ref}) after "
                         f"{body['requestContext'].get('approximateInvokeCount')} invocations: {error}: "
                         f"{(body.get('responsePayload') or {}).get('errorMessage', '')[:120]}")  # fmt: skip
        else:
            others["other"] += 1
            problems.append(f"unexpected DLQ message: {message['Body'][:200]}")
    missing = dead - set(letters)
    extra = set(letters) - dead
    problems += [f"{k} is {occurrences[k]['state']} but has no DLQ message" for k in sorted(missing)[:10]]
    problems += [f"DLQ holds {k}, which is {occurrences.get(k, {}).get('state', 'no occurrence')}"
                 for k in sorted(extra)[:10]]  # fmt: skip
    duplicates = {k: n for k, n in letters.items() if n > 1}
    if duplicates:
        notes.insert(0, f"{len(duplicates)} dead letter(s) sent more than once (at-least-once, by design): "
                        f"{list(duplicates.items())[:5]}")  # fmt: skip
    if others:
        notes.insert(0, f"other DLQ messages: {dict(others)}")
    check = Check(f"the DLQ holds exactly the {len(dead)} dead-lettered occurrences, each with its context",
                  not problems, problems[:15])  # fmt: skip
    return check, notes


def check_api(data: dict[str, Any], calls: list[ApiCall]) -> Check:
    problems = []
    for call in calls:
        if call.status is None:
            problems.append(f"schedule #{call.index} try {call.attempt}: no answer ({call.error})")
        elif call.status >= 500 and not (call.status == 503 and call.code == "scheduler_unavailable" and call.retry_after):
            problems.append(f"schedule #{call.index} try {call.attempt}: {call.status} {call.code}")
    by_name: dict[str, list[str]] = defaultdict(list)
    for schedule in data["schedules"]:
        by_name[schedule.get("name") or ""].append(schedule["id"])
    created: dict[int, set[str]] = defaultdict(set)
    for call in calls:
        if call.schedule_id:
            created[call.index].add(call.schedule_id)
    indices = {call.index for call in calls}
    for i in sorted(indices):
        stored = set(by_name.get(f"chaos-{i:05d}", []))
        if stored != created[i]:
            problems.append(f"schedule #{i}: the API created {sorted(created[i])}, DynamoDB holds {sorted(stored)}")
    known = {s["id"] for s in data["schedules"]}
    for timer in data["timers"]:
        owner = timer.split("-", 1)[0]
        if owner.startswith("sch_") and owner not in known:
            problems.append(f"EventBridge schedule {timer} belongs to no schedule (half-created)")
    return Check("no 5xx but 503 scheduler_unavailable with Retry-After; nothing half-created",
                 not problems, problems[:15])  # fmt: skip


# --- report ------------------------------------------------------------------------------------------

def run(cfg: Config, report: TextIO) -> bool:
    chaos = Chaos(cfg, report)
    say = chaos.say
    say(f"chaos run: {cfg.schedules} schedules, seed {cfg.seed}, time scale {cfg.time_scale}, "
        f"botocore retries {cfg.retry_mode}" + (f"/{cfg.max_attempts}" if cfg.retry_mode != "default" else "")
        + f", {cfg.clients} API client(s); log {cfg.log_path}")
    try:
        chaos.start_receiver()
        chaos.start_dev()
        say(f"belltower dev up at {chaos.api_url} (in-process); receiver {chaos.receiver_url} (subprocess); faults armed")
        chaos.create_all()
        statuses = Counter(str(c.status) for c in chaos.api_calls)
        say(f"created {sum(1 for c in chaos.api_calls if c.status == 201)} schedules; API answers {dict(statuses)}")
        ending = chaos.wait_quiet()
        say({"quiescent": "quiescent: every schedule completed, nothing pending, no EventBridge schedule left",
             "stuck": "stuck: schedules still open, no invocation pending, and no change for a while",
             "deadline": f"deadline of {cfg.deadline:.0f}s reached before quiescence"}[ending])  # fmt: skip
        chaos.faults.disarm()
        data = chaos.collect()
        handoffs = list(chaos.faults.handoffs)
        summary = chaos.faults.summary()
    finally:
        chaos.stop_all()

    checks = check_terminal_and_fires(data, handoffs, cfg.max_runs)
    ack_check, lost = check_acks(data)
    dlq_check, dlq_notes = check_dlq(data)
    checks += [ack_check, dlq_check, check_api(data, chaos.api_calls)]

    faults_seen = Counter(d.fault for d in data["deliveries"])
    outcomes = Counter(o["state"] for o in data["occurrences"])
    say("faults injected: " + json.dumps({
        **{k: v for k, v in summary.items() if k != "throttles_surfaced_by_operation"},
        "receiver": dict(faults_seen)}))  # fmt: skip
    say(f"throttles that surfaced to Belltower, by call: {summary['throttles_surfaced_by_operation']}")
    say(f"occurrences: {len(data['occurrences'])} {dict(outcomes)}; deliveries received: {len(data['deliveries'])}; "
        f"DLQ messages: {len(data['messages'])}; EventBridge schedules left: {len(data['timers'])}")
    if lost:
        say(f"note: {len(lost)} acknowledgement(s) reached the caller after its timeout (not counted as failures):")
        for line in lost[:5]:
            say(f"    {line}")
    for note in dlq_notes[:10]:
        say(f"note: {note}")
    for check in checks:
        say(f"{'PASS' if check.ok else 'FAIL'}  {check.name}")
        for line in check.details:
            say(f"        {line}")
    ok = all(check.ok for check in checks)
    say("all checks passed" if ok else f"{sum(not c.ok for c in checks)} check(s) failed; details in {cfg.log_path}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=Config.schedules)
    parser.add_argument("--seed", type=int, default=Config.seed)
    parser.add_argument("--max-runs", type=int, default=Config.max_runs, help="of each recurring schedule")
    parser.add_argument("--recurring-share", type=float, default=Config.recurring_share)
    parser.add_argument("--time-scale", type=float, default=Config.time_scale,
                        help="scales Lambda's retry delays, the lease grace and Retry-After (default 1)")
    parser.add_argument("--deadline", type=float, default=Config.deadline, help="seconds before giving up waiting")
    parser.add_argument("--fire-window", default="10,45",
                        help="fire times (fire_at, start_at), seconds after each creation (min,max)")
    parser.add_argument("--log", type=Path, default=Config.log_path)
    parser.add_argument("--clients", type=int, default=Config.clients, help="API client threads (default 1)")
    parser.add_argument("--retry-mode", choices=("standard", "legacy", "default"), default=Config.retry_mode,
                        help="botocore retry mode of the functions' clients (default: legacy; "
                             "'default' keeps botocore's own configuration, standard with 3 attempts)")
    parser.add_argument("--max-attempts", type=int, default=Config.max_attempts,
                        help="botocore max_attempts with --retry-mode standard|legacy (default 2)")
    args = parser.parse_args(argv)
    low, high = (float(x) for x in args.fire_window.split(","))
    cfg = Config(schedules=args.schedules, seed=args.seed, max_runs=args.max_runs,
                 recurring_share=args.recurring_share, time_scale=args.time_scale, deadline=args.deadline,
                 fire_window=(low, high), log_path=args.log, clients=args.clients,
                 retry_mode=args.retry_mode, max_attempts=args.max_attempts)  # fmt: skip
    cfg.log_path.parent.mkdir(parents=True, exist_ok=True)
    report = sys.stdout
    log = open(cfg.log_path, "w", buffering=1)
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO")
    sys.stdout = log  # the handlers' Powertools logs (they write to sys.stdout) go to the log file
    try:
        ok = run(cfg, report)
    finally:
        sys.stdout = report
        log.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
