"""Write a policy back as canonical YAML, atomically.

Canonical means: keys in schema order (names in the order the policy holds them), values equal to
their defaults left out (except ``version``, which every file states), block style, two-space
indents, unicode as written, multi-line text as ``|`` blocks, whole-number floats written as
integers. Loading a canonical file and saving it changes no byte, so ``policy_hash`` of a loaded
canonical file equals the hash of its text. Canonical text is for files written fresh; a file a
person edits keeps its own comments, order and quoting (``round_trip.render`` makes that text, and
``save_text`` writes it the same atomic way). Each save also keeps a version of the policy in the
data directory (``versions.py``), which the editor lists and restores and the quarterly review reads.
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from console.core.policy.schema import Policy


class _CanonicalDumper(yaml.SafeDumper):
    """SafeDumper that indents lists under their key, as people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


@lru_cache(maxsize=4096)
def _read_as_other_than_text(value: str) -> bool:
    """Whether the policy reader (ruamel.yaml, YAML 1.2) would read ``value`` written plain as a non-string.

    PyYAML decides quoting by YAML 1.1, where ``0E0`` and ``0o10`` are text; YAML 1.2 reads them as
    numbers. (Plain dates are read back as text by ``source_map``.)
    """
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    tag = VersionedResolver(version=(1, 2)).resolve(ScalarNode, value, (True, False))
    return tag not in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and value == value.strip(" ") and not any(c in value for c in "\t\r") else None
    if style is None and _read_as_other_than_text(value):
        style = "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.Node:
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return dumper.represent_int(int(value))
    return dumper.represent_float(value)


_CanonicalDumper.add_representer(str, _represent_str)
_CanonicalDumper.add_representer(float, _represent_float)


def policy_data(policy: Policy) -> dict[str, Any]:
    """The policy as plain data in canonical form (what ``dump_policy`` writes)."""
    data = policy.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.pop("version", None)
    return {"version": policy.version, **data}


def dump_policy(policy: Policy) -> str:
    return yaml.dump(
        policy_data(policy),
        Dumper=_CanonicalDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
        indent=2,
    )


def policy_hash(policy: Policy) -> str:
    """sha256 of the canonical text, first 16 hex digits: the policy's identity in the log."""
    return hashlib.sha256(dump_policy(policy).encode("utf-8")).hexdigest()[:16]


def save_policy(policy: Policy, path: str | Path) -> str:
    """Write ``policy`` canonically to ``path`` so a crash leaves the old file or the new one, never half.

    Keeps an existing file's permission bits. Returns the saved policy's hash.
    """
    return save_text(dump_policy(policy), path)


def save_text(text: str, path: str | Path, *, keep_version: bool = True) -> str:
    """Write policy ``text`` to ``path`` atomically, as ``save_policy`` does; returns the text's hash.

    With ``keep_version`` (the default) a valid policy's text is also kept in its version history."""
    target = Path(path)
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(handle.name, mode)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    if keep_version:
        from console.core.policy.versions import keep_version as keep

        keep(text, target)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def source_has_comments(text: str) -> bool:
    """Whether YAML ``text`` holds a comment that a canonical save (``save_policy``) would drop."""
    try:
        tokens = list(yaml.scan(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return any(line.lstrip().startswith("#") or " #" in line for line in text.splitlines())
    # Comments live in the gaps between tokens; strings containing '#' are inside tokens.
    position = 0
    for token in tokens:
        if "#" in text[position : token.start_mark.index]:
            return True
        position = max(position, token.end_mark.index)
    return "#" in text[position:]
