"""Apply the shipped index templates and ISM policies, and the security role and roles mapping
of the Firehose role (obsgov.opensearch.security), to an OpenSearch domain, idempotently.

Each document is read first; it is written only when missing or different, so a rerun makes no
change. Requests are signed with SigV4 for the ``es`` service, as fine-grained access control
with an IAM master role expects.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from obsgov.errors import InputError, Problem
from obsgov.io import read_json

TEMPLATES = Path(__file__).with_name("templates")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Document:
    kind: str  # index-template | ism-policy | security-role | roles-mapping
    name: str
    body: dict

    @property
    def path(self) -> str:
        return f"{PATHS[self.kind]}/{self.name}"


PATHS = {
    "index-template": "/_index_template",
    "ism-policy": "/_plugins/_ism/policies",
    "security-role": "/_plugins/_security/api/roles",
    "roles-mapping": "/_plugins/_security/api/rolesmapping",
}


@dataclass
class Outcome:
    document: Document
    action: str  # created | updated | unchanged


class RemoteError(Exception):
    """The domain refused a request; the message names it."""


def load_documents(directory: Path = TEMPLATES) -> list[Document]:
    problems: list[Problem] = []
    documents = []
    for path in sorted(directory.glob("*.json")):
        kind, _, name = path.stem.partition(".")
        if kind not in ("index-template", "ism-policy") or not name:
            problems.append(
                Problem(
                    str(path),
                    "",
                    "file names must be index-template.<name>.json or ism-policy.<name>.json",
                )
            )
            continue
        try:
            body = read_json(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(body, dict):
            problems.append(Problem(str(path), "", "must be a JSON object"))
            continue
        documents.append(Document(kind, name, body))
    if problems:
        raise InputError(problems)
    return documents


Send = Callable[[str, str, bytes | None], tuple[int, bytes]]


def signed_sender(endpoint: str, region: str, credentials: Any, timeout: float = 30.0) -> Send:
    """A function that sends SigV4-signed requests to ``endpoint``."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    parsed = urlparse(endpoint)
    if parsed.scheme != "https" and not (parsed.scheme == "http" and parsed.hostname in LOOPBACK):
        raise InputError.single(
            "--endpoint",
            "",
            f"{endpoint!r} must be an https:// URL "
            "(plain http is accepted for a loopback test endpoint only)",
        )
    base = endpoint.rstrip("/")

    def send(method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        request = AWSRequest(
            method=method,
            url=base + path,
            data=body or b"",
            headers={"Content-Type": "application/json"} if body else {},
        )
        SigV4Auth(credentials, "es", region).add_auth(request)
        prepared = urllib.request.Request(
            base + path, data=body, method=method, headers=dict(request.headers.items())
        )
        try:
            with urllib.request.urlopen(prepared, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteError(f"{method} {path}: cannot reach {endpoint} ({exc})") from None

    return send


def _current(send: Send, document: Document) -> tuple[dict | None, dict]:
    status, raw = send("GET", document.path, None)
    if status == 404:
        return None, {}
    if status != 200:
        raise RemoteError(f"GET {document.path} answered {status}: {raw[:200]!r}")
    data = json.loads(raw or b"{}")
    if document.kind == "index-template":
        found = [t for t in data.get("index_templates", []) if t.get("name") == document.name]
        return (found[0].get("index_template") if found else None), {}
    if document.kind in ("security-role", "roles-mapping"):
        # The security API answers {name: {...}} with its own keys (reserved, hidden, static)
        # beside the ones written; only the written ones are compared.
        current = data.get(document.name)
        return (current if isinstance(current, dict) else None), {}
    version = {"if_seq_no": data.get("_seq_no"), "if_primary_term": data.get("_primary_term")}
    policy = data.get("policy") or {}
    comparable = {k: policy.get(k) for k in document.body.get("policy", {})}
    return {"policy": comparable}, version


def _same(current: dict | None, wanted: dict) -> bool:
    if current is None:
        return False
    return all(current.get(key) == value for key, value in wanted.items())


def apply(send: Send, documents: list[Document]) -> list[Outcome]:
    outcomes = []
    for document in documents:
        current, version = _current(send, document)
        if _same(current, document.body):
            outcomes.append(Outcome(document, "unchanged"))
            continue
        path = document.path
        if current is not None and document.kind == "ism-policy":
            path += (
                f"?if_seq_no={version['if_seq_no']}&if_primary_term={version['if_primary_term']}"
            )
        status, raw = send("PUT", path, json.dumps(document.body, sort_keys=True).encode())
        if status not in (200, 201):
            raise RemoteError(f"PUT {document.path} answered {status}: {raw[:200]!r}")
        outcomes.append(Outcome(document, "created" if current is None else "updated"))
    return outcomes
