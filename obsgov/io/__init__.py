"""The one input and output layer: every file obsgov reads or writes goes through here.

Readers bound size and nesting, decode strict UTF-8, refuse duplicate keys and values JSON
cannot hold, and turn every failure (missing file, folder, symlink loop, permissions, syntax)
into an :class:`~obsgov.errors.InputError` naming the file and, where there is one, the line
and key path. The writer replaces a file atomically and writes through symlinks.
"""

from .jsondoc import MAX_JSON_BYTES, MAX_JSON_DEPTH, parse_json, read_json
from .output import ProtectedArea, check_folder_writable, check_writable
from .paths import display_path
from .text import MAX_TEXT_BYTES, read_bytes, read_text
from .writer import resolve_target, write_atomic
from .yamldoc import MAX_DEPTH, MAX_NODES, parse_yaml, read_yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_NODES",
    "MAX_TEXT_BYTES",
    "ProtectedArea",
    "check_folder_writable",
    "check_writable",
    "display_path",
    "parse_json",
    "parse_yaml",
    "read_bytes",
    "read_json",
    "read_text",
    "read_yaml",
    "resolve_target",
    "write_atomic",
]
