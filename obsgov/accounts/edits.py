"""Registry edits besides onboarding: remove an account, add or remove a workload."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from obsgov.errors import InputError

from .registry_file import display, insert_entry, remove_entry, section


def remove_account(account_id: str, with_workloads: bool) -> Callable[[Any], Any]:
    def mutate(doc: Any) -> Any:
        accounts = section(doc, "accounts")
        index = next(
            (
                i
                for i, a in enumerate(accounts)
                if isinstance(a, dict) and str(a.get("id")) == account_id
            ),
            None,
        )
        if index is None:
            return None
        name = str(accounts[index].get("name"))
        workloads = section(doc, "workloads")
        dependent = [
            i for i, w in enumerate(workloads) if isinstance(w, dict) and w.get("account") == name
        ]
        if dependent and not with_workloads:
            names = ", ".join(str(workloads[i].get("name")) for i in dependent)
            raise InputError.single(
                "ID",
                "",
                (
                    f"account {account_id} ({name}) still has workloads: {names}; remove them "
                    "with `obsgov workloads remove` or pass --with-workloads"
                ),
            )
        for i in reversed(dependent):
            remove_entry(workloads, i)
        remove_entry(accounts, index)
        extra = f" and its {len(dependent)} workloads" if dependent else ""
        return (f"account {account_id} ({name}){extra}", "delete", "")

    return mutate


def read_workload(path: Path, environment: str) -> CommentedMap:
    """A workload mapping from a YAML file ('-' is stdin), quoting kept as written."""
    shown = "-" if str(path) == "-" else display(path)
    try:
        import sys

        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError.single(shown, "", f"cannot be read ({exc.strerror})") from None
    yaml = YAML()
    yaml.preserve_quotes = True
    try:
        data = yaml.load(io.StringIO(text))
    except YAMLError as exc:
        raise InputError.single(shown, "", f"invalid YAML ({exc})") from None
    if not isinstance(data, CommentedMap):
        raise InputError.single(
            shown, "", "must be one workload: a mapping with kind, name, account, ..."
        )
    data.ca.comment = None  # the file's own header comment is not the registry's
    if "environment" not in data:
        keys = list(data)
        at = keys.index("account") + 1 if "account" in keys else len(keys)
        data.insert(at, "environment", environment)  # where the shipped entries have it
    elif data["environment"] != environment:
        raise InputError.single(
            shown, "environment", f"is {data['environment']!r} but --env is {environment!r}"
        )
    return data


def add_workload(entry: CommentedMap, shown: str) -> Callable[[Any], Any]:
    def mutate(doc: Any) -> Any:
        workloads = section(doc, "workloads")
        for item in workloads:
            if isinstance(item, dict) and all(
                item.get(k) == entry.get(k) for k in ("kind", "account", "name")
            ):
                if dict(item) == dict(entry):
                    return None
                raise InputError.single(
                    shown,
                    "name",
                    (
                        f"{entry.get('kind')} {entry.get('name')!r} in account "
                        f"{entry.get('account')!r} is already in the registry with other "
                        "values; remove it first"
                    ),
                )
        at = insert_entry(workloads, entry, "environment")
        return (
            f"workloads[{at}] ({entry.get('kind')} {entry.get('name')})",
            "insert",
            f"workloads[{at}]",
        )

    return mutate


def remove_workload(
    name: str, environment: str, kind: str | None, account: str | None
) -> Callable[[Any], Any]:
    def mutate(doc: Any) -> Any:
        workloads = section(doc, "workloads")
        matches = [
            i
            for i, w in enumerate(workloads)
            if isinstance(w, dict)
            and w.get("name") == name
            and w.get("environment") == environment
            and (kind is None or w.get("kind") == kind)
            and (account is None or w.get("account") == account)
        ]
        if not matches:
            return None
        if len(matches) > 1:
            found = ", ".join(
                f"{workloads[i].get('kind')} in {workloads[i].get('account')}" for i in matches
            )
            raise InputError.single(
                "NAME",
                "",
                f"{name!r} matches several workloads ({found}); narrow it with --kind or --account",
            )
        w = workloads[matches[0]]
        summary = f"workloads[{matches[0]}] ({w.get('kind')} {name})"
        remove_entry(workloads, matches[0])
        return (summary, "delete", "")

    return mutate
