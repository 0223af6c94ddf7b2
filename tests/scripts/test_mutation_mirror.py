"""scripts/mutation_mirror.py: the mirror mutmut runs in, with decorators written as calls.

mutmut 3 skips every decorated function (mutmut/mutation/file_mutation.py: "ignore decorated
functions", except a lone staticmethod or classmethod), so the mirror rewrites them; PEP 318
defines ``@d def f`` as ``f = d(f)`` after the definition, which is what the rewrite writes.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location(
    "mutation_mirror", ROOT / "scripts" / "mutation_mirror.py"
)
assert SPEC
assert SPEC.loader
mirror = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(mirror)

MODULE = textwrap.dedent(
    """
    import functools

    CALLS = []


    def register(**meta):
        def decorate(fn):
            CALLS.append((fn.__name__, meta))
            return fn
        return decorate


    def shout(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args).upper()
        return wrapper


    @register(
        id="x",  # a comment inside the decorator's call
        tags=("a", "b"),
    )
    @shout
    def greet(name):
        return f"hello {name}"


    @functools.lru_cache(maxsize=8)
    def square(n):
        return n * n


    class Box:
        def __init__(self, size):
            self._size = size

        @property
        def size(self):
            return self._size

        @size.setter
        def size(self, value):
            self._size = value

        @staticmethod
        def unit():
            return Box(1)

        @classmethod
        @register(id="made")
        def made(cls):
            return cls(2)


    def plain():
        return 1
    """
)


def _exec(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<module>", "exec"), namespace)
    return namespace


def _decorated(source: str) -> list[str]:
    """The functions mutmut would skip: decorated, other than by a lone staticmethod or
    classmethod (mutmut/mutation/file_mutation.py)."""
    tree = ast.parse(source)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        functions += [n for n in cls.body if isinstance(n, ast.FunctionDef)]
    skipped = []
    for function in functions:
        names = [ast.unparse(d) for d in function.decorator_list]
        if names and names not in (["staticmethod"], ["classmethod"]):
            skipped.append(function.name)
    return skipped


def test_the_rewrite_leaves_no_function_mutmut_skips_but_accessors():
    assert _decorated(MODULE) == ["greet", "square", "size", "size", "made"]
    # a property setter reads the name its own def would rebind, so it keeps its decorator
    assert _decorated(mirror.undecorate(MODULE)) == ["size"]


def test_the_rewritten_module_defines_what_the_original_defines():
    original, rewritten = _exec(MODULE), _exec(mirror.undecorate(MODULE))
    for namespace in (original, rewritten):
        box = namespace["Box"](3)
        box.size = 5
        assert namespace["greet"]("ann") == "HELLO ANN"
        assert namespace["square"](4) == 16
        assert namespace["square"].cache_info().hits == 0
        assert (box.size, namespace["Box"].unit().size, namespace["Box"].made().size) == (5, 1, 2)
    # the registering decorator ran once per function, on the function it decorates, in order
    assert (
        original["CALLS"]
        == rewritten["CALLS"]
        == [
            ("greet", {"id": "x", "tags": ("a", "b")}),
            ("made", {"id": "made"}),
        ]
    )


def test_a_module_without_decorators_is_left_as_it_is():
    source = "def f():\n    return 1\n"
    assert mirror.undecorate(source) == source


def _registry(path_entry: Path) -> dict:
    script = (
        "import json, sys\n"
        "from obsgov_policies.catalog import load_all\n"
        "print(json.dumps({k: [s.pack, s.module, s.severity, s.kind, list(s.resource_types),"
        " s.validate.__name__, s.validate.__module__] for k, s in load_all().items()},"
        " sort_keys=True))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(path_entry), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_policy_librarys_mirror_registers_the_same_policies_as_plain_functions(tmp_path):
    rewritten = mirror.build(ROOT, tmp_path / "policies", "policies")
    library = tmp_path / "policies" / "obsgov_policies"
    assert not library.is_symlink()
    # every policy is written under @policy(...): each one is now a function mutmut mutates
    policy_modules = [p for p in library.glob("*/*.py") if p.name != "__init__.py"]
    assert rewritten >= len(policy_modules) > 40
    for module in policy_modules:
        original = (ROOT / "policies" / "obsgov_policies" / module.relative_to(library)).read_text()
        assert "@policy(" in original, module
        assert _decorated(module.read_text()) == [], module
    assert _registry(tmp_path / "policies") == _registry(ROOT / "policies")
    config = (tmp_path / "policies" / "pyproject.toml").read_text()
    assert '[tool.mutmut]\nsource_paths = ["obsgov_policies"]' in config
    assert (tmp_path / "policies" / "tests").resolve() == ROOT / "tests"


def test_a_rebuild_rewrites_only_what_changed(tmp_path):
    source = tmp_path / "repo" / "pkg"
    source.mkdir(parents=True)
    (source / "a.py").write_text("@d\ndef f():\n    return 1\n")
    (source / "b.py").write_text("X = 1\n")
    (source / "gone.py").write_text("Y = 2\n")
    destination = tmp_path / "mirror" / "pkg"
    assert mirror.copy_undecorated(source, destination) == 1
    assert (destination / "a.py").read_text() == "def f():\n    return 1\nf = (d)(f)\n"
    os.utime(destination / "b.py", (1, 1))
    (source / "gone.py").unlink()
    mirror.copy_undecorated(source, destination)
    # an unchanged file keeps its mtime (mutmut's caches), a removed one leaves the mirror
    assert (destination / "b.py").stat().st_mtime == 1
    assert not (destination / "gone.py").exists()


def test_an_unknown_target_is_bad_input(tmp_path, capsys):
    assert mirror.main([str(ROOT), str(tmp_path / "m"), "nope"]) == 2
    assert capsys.readouterr().err.startswith("scripts/mutation-test: unknown target 'nope'")


@pytest.mark.parametrize("target", ["policies", "gate", "config", "components"])
def test_every_target_builds(tmp_path, target):
    assert mirror.build(ROOT, tmp_path / target, target) >= 0
    assert (tmp_path / target / "pyproject.toml").is_file()
