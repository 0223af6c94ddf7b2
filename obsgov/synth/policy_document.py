"""``aws:iam/getPolicyDocument:getPolicyDocument`` rendered offline, as the AWS provider renders it.

The provider's data source (terraform-provider-aws ``internal/service/iam``:
``policy_document_data_source.go`` and ``policy_model.go``) builds the document like this, and so
does this module:

* source documents are merged first (their Sids must be unique), then the statements given
  here, then the override documents; a statement with a Sid replaces an earlier one with the
  same Sid, one without is appended; the highest version and the last policy id win;
* a set of strings (actions, resources, principal identifiers) with one member renders as a
  string, with more as a list sorted in *reverse* order; condition values keep their order and a
  single value renders as a string;
* ``Principal`` is ``"*"`` only for type ``*`` with identifier ``*``; principals of one type are
  merged into one key; keys of ``Principal`` and ``Condition`` are sorted (Go's map encoding);
* empty fields are left out (``omitempty``), ``&{`` becomes ``${`` in resources, principals and
  condition values, and the JSON is Go's: ``<``, ``>`` and ``&`` escaped as ``\\u003c`` etc.;
* ``json`` is indented by two spaces, ``minifiedJson`` has no whitespace, and ``id`` is the
  CRC-32 of ``json``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

VERSIONS = ("2008-10-17", "2012-10-17")


class PolicyDocumentError(ValueError):
    """What the provider would fail the invoke with."""


def _strings(values: Sequence[Any]) -> Any:
    items = sorted({str(v) for v in values}, reverse=True)  # a set: duplicates collapse
    return items[0] if len(items) == 1 else items


def _vars(value: Any, version: str) -> Any:
    def one(text: str) -> str:
        if version == "2008-10-17" and "&{" in text:
            raise PolicyDocumentError(
                f"found &{{ sequence in ({text}), which is not supported "
                "in document version 2008-10-17"
            )
        return text.replace("&{", "${")

    return one(value) if isinstance(value, str) else [one(v) for v in value]


def _principals(blocks: Sequence[Mapping[str, Any]], version: str) -> Any:
    merged: dict[str, Any] = {}
    if (
        len(blocks) == 1
        and blocks[0].get("type") == "*"
        and list(blocks[0].get("identifiers") or []) == ["*"]
    ):
        return "*"
    for block in blocks:
        kind = str(block.get("type", ""))
        identifiers = _vars(_strings(block.get("identifiers") or []), version)
        current = merged.get(kind)
        if isinstance(identifiers, list):
            merged[kind] = (
                [] if current is None else [current] if isinstance(current, str) else current
            ) + identifiers
        elif current is None:
            merged[kind] = identifiers
        else:
            merged[kind] = ([current] if isinstance(current, str) else current) + [identifiers]
    return {k: merged[k] for k in sorted(merged)}


def _conditions(blocks: Sequence[Mapping[str, Any]], version: str) -> dict[str, Any]:
    raw: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        values = _vars([str(v) for v in block.get("values") or []], version)
        raw.setdefault(str(block.get("test")), {}).setdefault(
            str(block.get("variable")), []
        ).extend(values)
    return {
        test: {
            var: (vals[0] if len(vals) == 1 else vals) for var, vals in sorted(variables.items())
        }
        for test, variables in sorted(raw.items())
    }


_FIELD_ORDER = (
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
)


def _statement(block: Mapping[str, Any], version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"Sid": block.get("sid") or "", "Effect": block.get("effect") or "Allow"}
    if block.get("actions"):
        out["Action"] = _strings(block["actions"])
    if block.get("notActions"):
        out["NotAction"] = _strings(block["notActions"])
    if block.get("resources"):
        out["Resource"] = _vars(_strings(block["resources"]), version)
    if block.get("notResources"):
        out["NotResource"] = _vars(_strings(block["notResources"]), version)
    if block.get("principals"):
        out["Principal"] = _principals(block["principals"], version)
    if block.get("notPrincipals"):
        out["NotPrincipal"] = _principals(block["notPrincipals"], version)
    if block.get("conditions"):
        out["Condition"] = _conditions(block["conditions"], version)
    return out


def _reparse_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A statement of a source or override document, as the provider round-trips it: lists of
    actions and resources are kept as given, principals are re-encoded (sorted in reverse per
    type, ``*`` normalised), single condition values flattened."""
    out = {
        k: statement[k] for k in _FIELD_ORDER if k in statement and statement[k] not in ("", None)
    }
    for key in ("Principal", "NotPrincipal"):
        if key in out:
            value = out[key]
            if isinstance(value, str):
                out[key] = "*"
            elif isinstance(value, Mapping):
                out[key] = {
                    k: (v if isinstance(v, str) else sorted(v, reverse=True))
                    for k, v in sorted(value.items())
                }
    if "Condition" in out and isinstance(out["Condition"], Mapping):
        out["Condition"] = {
            test: {
                var: (
                    ("true" if v else "false")
                    if isinstance(v, bool)
                    else v[0]
                    if isinstance(v, list) and len(v) == 1
                    else v
                )
                for var, v in sorted(variables.items())
            }
            for test, variables in sorted(out["Condition"].items())
        }
    return out


class _Doc:
    def __init__(self) -> None:
        self.version = ""
        self.id = ""
        self.statements: list[dict[str, Any]] = []

    def merge(self, version: str, policy_id: str, statements: list[dict[str, Any]]) -> None:
        if policy_id:
            self.id = policy_id
        if version > self.version:
            self.version = version
        for statement in statements:
            sid = statement.get("Sid") or ""
            match = next(
                (i for i, s in enumerate(self.statements) if sid and s.get("Sid") == sid), None
            )
            if match is None:
                self.statements.append(statement)
            else:
                self.statements[match] = statement

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        if self.version:
            doc["Version"] = self.version
        if self.id:
            doc["Id"] = self.id
        if self.statements:
            doc["Statement"] = [
                {k: s[k] for k in _FIELD_ORDER if k in s and s[k] not in ("", None)}
                for s in self.statements
            ]
        return doc


def _parse_document(text: Any, what: str, index: int) -> dict[str, Any]:
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError as exc:
        raise PolicyDocumentError(
            f"writing IAM Policy Document: merging {what} document {index}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise PolicyDocumentError(
            f"writing IAM Policy Document: merging {what} document {index}: not a JSON object"
        )
    statements = data.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return {
        "version": str(data.get("Version", "")),
        "id": str(data.get("Id", "")),
        "statements": [_reparse_statement(s) for s in statements if isinstance(s, dict)],
    }


def go_json(value: Any, indent: int | None = None) -> str:
    """JSON as Go's encoding/json writes it (HTML-safe escapes)."""
    text = json.dumps(
        value, indent=indent, ensure_ascii=False, separators=(",", ": ") if indent else (",", ":")
    )
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render(args: Mapping[str, Any]) -> dict[str, Any]:
    """The invoke's result for ``args`` (the SDK's camelCase invoke arguments)."""
    version = args.get("version") or "2012-10-17"
    if version not in VERSIONS:
        raise PolicyDocumentError(f"version must be one of {', '.join(VERSIONS)}, got {version!r}")
    merged = _Doc()
    seen: set[str] = set()
    for i, text in enumerate(args.get("sourcePolicyDocuments") or []):
        if text is None:
            continue
        source = _parse_document(text, "source", i)
        for j, statement in enumerate(source["statements"]):
            sid = statement.get("Sid") or ""
            if sid:
                if sid in seen:
                    raise PolicyDocumentError(
                        f"writing IAM Policy Document: merging source document {i}: duplicate Sid "
                        f"({sid}) in source_policy_documents (statement {j}). Remove the Sid or "
                        "ensure Sids are unique."
                    )
                seen.add(sid)
        merged.merge(source["version"], source["id"], source["statements"])
    own: list[dict[str, Any]] = []
    sids: set[str] = set()
    for block in args.get("statements") or []:
        sid = block.get("sid") or ""
        if sid in sids:
            raise PolicyDocumentError(
                f"writing IAM Policy Document: duplicate Sid ({sid}). "
                "Remove the Sid or ensure the Sid is unique."
            )
        if sid:
            sids.add(sid)
        own.append(_statement(block, version))
    merged.merge(version, args.get("policyId") or "", own)
    for i, text in enumerate(args.get("overridePolicyDocuments") or []):
        if text is None:
            continue
        override = _parse_document(text, "override", i)
        merged.merge(override["version"], override["id"], override["statements"])
    document = merged.to_json()
    pretty = go_json(document, indent=2)
    return {
        **dict(args),
        "json": pretty,
        "minifiedJson": go_json(document),
        "id": str(zlib.crc32(pretty.encode())),
    }
