"""Projects, API keys and authentication. Keys are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from belltower.adapters.store import StaleWrite, Store
from belltower.domain.errors import InvalidRequest, NotFound, Unauthorized
from belltower.domain.ids import new_id
from belltower.domain.signing import generate_secret
from belltower.domain.timing import format_utc, parse_rfc3339
from belltower.wiring import Container

KEY_PREFIX = "bt_"
#: How long a rotated-out signing secret keeps signing beside the new one.
ROTATION_OVERLAP = timedelta(hours=24)
_PROJECT_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$")
_PLAINTEXT = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def get_or_create_project(store: Store, name: str, now: datetime | None = None) -> dict[str, Any]:
    if not _PROJECT_NAME.match(name):
        raise InvalidRequest("project names are 1-64 letters, digits, '.', '_' or '-'", param="project")
    now = now or datetime.now(timezone.utc)
    existing = store.find_project_id(name)
    if existing:
        return store.get_project(existing)
    project = {
        "id": new_id("prj", now),
        "name": name,
        "created_at": format_utc(now),
        "signing_secrets": [{"secret": generate_secret(), "created_at": format_utc(now), "expires_at": None}],
    }
    try:
        store.create_project(project)
    except StaleWrite:  # created concurrently under the same name: use that one
        return store.get_project(store.find_project_id(name))
    return project


def create_key(store: Store, project_name: str, *, plaintext: str | None = None) -> tuple[str, dict[str, Any]]:
    """A new API key for the project (created if needed). The plaintext is returned only here."""
    if plaintext is not None and not _PLAINTEXT.match(plaintext):
        raise InvalidRequest("an API key is 16-128 characters of letters, digits, '_' or '-'", param="api_key")
    now = datetime.now(timezone.utc)
    project = get_or_create_project(store, project_name, now)
    plaintext = plaintext or KEY_PREFIX + secrets.token_urlsafe(32)
    key_hash = hash_key(plaintext)
    found = store.find_api_key(key_hash)
    if found is not None:
        if found["project_id"] != project["id"]:
            raise InvalidRequest("that API key belongs to another project", param="api_key")
        meta = next(k for k in store.list_api_keys(project["id"]) if k["id"] == found["key_id"])
        return plaintext, meta
    meta = {
        "id": new_id("key", now),
        "project_id": project["id"],
        "project_name": project["name"],
        "prefix": plaintext[:8],
        "created_at": format_utc(now),
    }
    store.put_api_key(key_hash, meta)
    return plaintext, meta


def list_keys(store: Store, project_name: str) -> list[dict[str, Any]]:
    project_id = store.find_project_id(project_name)
    if project_id is None:
        raise NotFound(f"no project named {project_name!r}", param="project")
    return store.list_api_keys(project_id)


def revoke_key(store: Store, project_name: str, key_id: str) -> dict[str, Any]:
    project_id = store.find_project_id(project_name)
    meta = None if project_id is None else store.revoke_api_key(
        project_id, key_id, format_utc(datetime.now(timezone.utc)))  # fmt: skip
    if meta is None:
        raise NotFound(f"no key {key_id!r} in project {project_name!r}", param="key_id")
    return meta


def authenticate(store: Store, authorization: str | None) -> dict[str, Any]:
    """The project an `Authorization: Bearer <key>` header belongs to, or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        raise Unauthorized("send `Authorization: Bearer <api key>`")
    found = store.find_api_key(hash_key(token))
    project = None if found is None else store.get_project(found["project_id"])
    if project is None:
        raise Unauthorized("unknown or revoked API key")
    return project


def _live_secrets(project: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    return [
        s for s in project["signing_secrets"]
        if s["expires_at"] is None or parse_rfc3339(s["expires_at"], param="expires_at") > now
    ]  # fmt: skip


def active_signing_secrets(project: dict[str, Any], now: datetime) -> list[str]:
    """Current first; a rotated-out secret keeps signing until it expires."""
    return [s["secret"] for s in _live_secrets(project, now)]


def project_view(project: dict[str, Any], now: datetime) -> dict[str, Any]:
    """`GET /v1/project`: the secrets that still sign, current first."""
    return {"id": project["id"], "object": "project", "name": project["name"],
            "signing_secrets": _live_secrets(project, now)}  # fmt: skip


def rotate_signing_secret(c: Container, project_id: str) -> dict[str, Any]:
    """A new current secret; the previous current one keeps signing for ROTATION_OVERLAP.

    Secrets that already expire keep their time, expired ones are dropped. The write is
    versioned (two rotations at once both happen). This container forgets its cached copy, so its
    deliveries use the new secret at once; other containers within PROJECT_CACHE_SECONDS.
    """
    while True:
        now = c.clock.now()
        found = c.store.get_project_versioned(project_id)
        if found is None:
            raise NotFound(f"no project {project_id!r}", param="project")
        project, version = found
        older = [{**s, "expires_at": s["expires_at"] or format_utc(now + ROTATION_OVERLAP)}
                 for s in _live_secrets(project, now)]  # fmt: skip
        current = {"secret": generate_secret(), "created_at": format_utc(now), "expires_at": None}
        project = {**project, "signing_secrets": [current, *older]}
        try:
            c.store.save_project(project, version)
        except StaleWrite:
            continue
        c.forget_project(project_id)
        return project
