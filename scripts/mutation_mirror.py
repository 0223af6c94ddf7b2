"""Build the mirror `scripts/mutation-test` runs mutmut in.

    python scripts/mutation_mirror.py ROOT MIRROR TARGET

mutmut 3 knows only ./ and src/ layouts and reads [tool.mutmut] from the folder it runs in, so
each target (a [tool.obsgov.mutation.<target>] table in pyproject.toml) gets a mirror folder:
a pyproject.toml carrying the table as [tool.mutmut], the tests and the folders they read
linked from the repository, and the package to mutate.

mutmut leaves every decorated function alone (it cannot put its trampoline under an arbitrary
decorator), so code written as the house writes it (policies under `@policy(...)`, cached
helpers under `@functools.lru_cache`) would never be mutated. The mirror therefore holds a
copy of the package to mutate in which each decorated module-level function and method is
written as the call the decorator stands for::

    @policy(id="x")                 def check(args, report):
    @functools.cache        ->          ...
    def check(args, report):        check = policy(id="x")(functools.cache(check))
        ...

which Python defines the same way (PEP 318), so the module registers and behaves as the
original while mutmut sees a plain function. A file is rewritten only when its text changed:
mutmut keeps a mutant's verdict by the function's text, and an untouched mtime keeps its
caches valid.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import sys
from pathlib import Path

import tomllib

# Decorators the rewrite keeps: mutmut handles a lone staticmethod or classmethod itself, and
# `@name.setter` (getter, deleter) reads the name the rewritten `def` would already rebind.
ACCESSOR_ATTRIBUTES = frozenset({"setter", "getter", "deleter"})
MUTMUT_HANDLES = frozenset({"staticmethod", "classmethod"})
OVERLOAD_NAMES = frozenset({"overload"})


class MirrorError(Exception):
    """A target the mirror cannot be built for (exit 2: bad input)."""


def _is_accessor(decorator: ast.expr) -> bool:
    return isinstance(decorator, ast.Attribute) and decorator.attr in ACCESSOR_ATTRIBUTES


def _name(decorator: ast.expr) -> str | None:
    if isinstance(decorator, ast.Name):
        return decorator.id
    if isinstance(decorator, ast.Attribute):
        return decorator.attr
    return None


def rewritable(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``function``'s decorators can be written as calls after it (and need to be)."""
    decorators = function.decorator_list
    if not decorators:
        return False
    if len(decorators) == 1 and _name(decorators[0]) in MUTMUT_HANDLES:
        return False
    return not any(_is_accessor(d) or _name(d) in OVERLOAD_NAMES for d in decorators)


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions mutmut mutates: module-level ones and methods of module-level classes."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node)
        elif isinstance(node, ast.ClassDef):
            found += [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return found


def undecorate(source: str) -> str:
    """``source`` with every rewritable decorated function written as a call after it."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    targets = [f for f in _functions(tree) if rewritable(f)]
    # bottom-up, so the line numbers of the functions above stay right
    for function in sorted(targets, key=lambda f: f.lineno, reverse=True):
        decorators = function.decorator_list
        call = function.name
        for decorator in reversed(decorators):
            text = ast.get_source_segment(source, decorator)
            if text is None:  # pragma: no cover - ast always has positions for parsed source
                raise MirrorError(f"no source for a decorator of {function.name}")
            call = f"({text})({call})"
        indent = " " * function.col_offset
        assert function.end_lineno is not None
        end = function.end_lineno
        ending = "" if lines[end - 1].endswith("\n") else "\n"
        lines.insert(end, f"{ending}{indent}{function.name} = {call}\n")
        # the decorator lines: from the first `@` to the line before `def`
        first = min(d.lineno for d in decorators) - 1
        del lines[first : function.lineno - 1]
    return "".join(lines)


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        _remove(path)
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.mirror-tmp")
    scratch.write_bytes(data)
    os.replace(scratch, path)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def copy_undecorated(source: Path, destination: Path) -> int:
    """Mirror the package ``source`` at ``destination``, Python modules undecorated; returns
    the number of functions rewritten."""
    if destination.is_symlink() or destination.is_file():
        destination.unlink()
    wanted: set[Path] = set()
    rewritten = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if "__pycache__" in relative.parts or not path.is_file():
            continue
        wanted.add(relative)
        data = path.read_bytes()
        if path.suffix == ".py":
            text = data.decode("utf-8")
            try:
                tree = ast.parse(text)
            except SyntaxError as error:
                raise MirrorError(f"{path}: not Python that parses ({error.msg})") from None
            rewritten += sum(rewritable(f) for f in _functions(tree))
            data = undecorate(text).encode("utf-8")
        _write_if_changed(destination / relative, data)
    if destination.is_dir():
        for path in sorted(destination.rglob("*"), reverse=True):
            relative = path.relative_to(destination)
            if path.is_file() and relative not in wanted and "__pycache__" not in relative.parts:
                path.unlink()
    return rewritten


def build(root: Path, mirror: Path, target: str) -> int:
    """Build ``target``'s mirror; returns the number of functions rewritten for mutmut."""
    text = (root / "pyproject.toml").read_text("utf-8")
    targets = tomllib.loads(text)["tool"]["obsgov"]["mutation"]
    if target not in targets:
        raise MirrorError(f"unknown target {target!r}; known: {', '.join(targets)}")
    table = dict(targets[target])
    mirror.mkdir(parents=True, exist_ok=True)
    mutated = table.pop("package")
    links = {"tests": "tests"} | {name: name for name in table.get("also_copy", [])}
    for name, relative in links.items():
        link = mirror / name
        if link.is_symlink() or link.exists():
            _remove(link)
        link.symlink_to(root / relative)
    rewritten = sum(
        copy_undecorated(root / relative, mirror / name) for name, relative in mutated.items()
    )
    # JSON strings and arrays of strings are valid TOML values.
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    (mirror / "pyproject.toml").write_text(text + "\n".join(lines) + "\n", "utf-8")
    return rewritten


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python scripts/mutation_mirror.py ROOT MIRROR TARGET", file=sys.stderr)
        return 2
    root, mirror, target = Path(argv[0]), Path(argv[1]), argv[2]
    try:
        rewritten = build(root, mirror, target)
    except MirrorError as error:
        print(f"scripts/mutation-test: {error}", file=sys.stderr)
        return 2
    print(f"mirror {mirror}: {rewritten} decorated function(s) written as calls for mutmut")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
