"""Read a policy's YAML into plain data while remembering where every value came from.

The text is read with ruamel.yaml's round-trip loader: composed into a node tree once, the tree
yields a map from field path to (line, column), and the same tree is then constructed into
ruamel's commented containers (kept as ``ParsedYaml.tree`` so an editor can save the file back with
its comments) and into plain Python data (``ParsedYaml.data``) for the schema. What a YAML library
lets through silently is caught here, before anything is constructed:

- a key written twice in one mapping;
- an alias bomb (a few anchors expanding into millions of nodes), deep nesting, a recursive alias;
- any tag beyond YAML's core schema (``!!python/...``, ``!custom``, ``!!binary``): ruamel's
  round-trip loader would keep such a node as tagged data instead of refusing it.

ruamel.yaml is imported on first use, so importing this module costs nothing at start-up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from console.core.policy.diagnostics import PathTuple

Position = tuple[int, int]

#: Nodes visited after alias expansion; a real policy has a few thousand at most.
MAX_EXPANDED_NODES = 200_000
#: Nesting depth; condition trees are the deepest real part of a policy.
MAX_DEPTH = 100

_CORE = "tag:yaml.org,2002:"
_MERGE_TAG = _CORE + "merge"
_TIMESTAMP_TAG = _CORE + "timestamp"
#: YAML 1.2's core schema, plus the merge key (``<<``) that policies may use to share settings.
_TYPED = frozenset(_CORE + name for name in ("int", "float", "bool", "null"))
ALLOWED_TAGS = frozenset(_CORE + name for name in ("map", "seq", "str", "int", "float", "bool", "null", "merge"))


@dataclass(frozen=True)
class YamlProblem:
    """Something wrong in the YAML itself (not in what it says)."""

    message: str
    position: Position
    path: PathTuple = ()
    found: str | None = None
    code: str = "yaml"


@dataclass
class SourceMap:
    """Field path → where its key and its value start in the text (1-based line and column)."""

    values: dict[PathTuple, Position] = field(default_factory=dict)
    keys: dict[PathTuple, Position] = field(default_factory=dict)

    def locate(self, path: PathTuple, *, at_key: bool = False) -> Position:
        """Position of ``path``, or of its nearest ancestor written in the file."""
        probe = tuple(path)
        while True:
            table = self.keys if at_key else self.values
            if probe in table:
                return table[probe]
            other = self.values if at_key else self.keys
            if probe in other:
                return other[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def has(self, path: PathTuple) -> bool:
        return tuple(path) in self.values


@dataclass
class ParsedYaml:
    """What reading the text gave.

    Attributes:
        data: plain dicts, lists, str, int, float, bool and None (None when the text is unusable).
        source: where each field path is written.
        problems: what is wrong in the YAML itself.
        tree: the same document as ruamel's commented containers, for saving it back with its
            comments, key order and quoting (None whenever ``data`` is None).
    """

    data: Any
    source: SourceMap
    problems: list[YamlProblem]
    tree: Any = None


def _position(node: Any) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _tag_text(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


class _Walker:
    """Walks the composed node tree once: source map, duplicate keys, size limits, tags."""

    def __init__(self, constructor: Any = None) -> None:
        self.source = SourceMap()
        self.problems: list[YamlProblem] = []
        self.visited = 0
        self.too_big = False
        self.bad_tag = False
        self.bad_value = False
        self._typed_checked: set[int] = set()
        self._checked_mappings: set[int] = set()
        self._open: set[int] = set()  # collections being walked: meeting one again is a recursive alias
        self._constructor = constructor  # for keys that are numbers, booleans or null

    def key_of(self, node: Any) -> Any:
        if node.id != "scalar":
            return f"<{node.id} key>"
        if node.tag == _CORE + "str" or node.tag not in ALLOWED_TAGS or self._constructor is None:
            return node.value
        try:
            return plain(self._constructor.construct_object(node, deep=True))
        except Exception:  # noqa: BLE001 - a key that does not construct is named by its text
            return node.value

    def _check_tag(self, node: Any, path: PathTuple) -> None:
        tag = str(node.tag)
        if tag == _TIMESTAMP_TAG and node.style is None and node.ctag.handle is None:
            # ruamel resolves a plain 2024-01-01 to a date although YAML 1.2's core schema does not: keep it text.
            node.tag = _CORE + "str"
            return
        if tag in _TYPED and node.id == "scalar" and self._constructor is not None:
            if id(node) in self._typed_checked:
                return
            self._typed_checked.add(id(node))
            try:  # constructed once here and cached: construct_document reuses it
                self._constructor.construct_object(node)
            except Exception:  # noqa: BLE001 - ruamel raises ValueError and others for `!!int small`
                self.bad_value = True
                self.problems.append(YamlProblem(f"'{node.value}' is not a valid {_tag_text(tag)}",
                                                 _position(node), path[:4], found=str(node.value), code="yaml-tag"))
            return
        if tag not in ALLOWED_TAGS:
            self.bad_tag = True
            self.problems.append(YamlProblem(
                f"the YAML tag '{_tag_text(tag)}' is not allowed: a policy is plain YAML "
                "(mappings, lists, text, numbers, true/false, null), so no constructor runs for any other tag",
                _position(node), path[:4], found=_tag_text(tag), code="yaml-tag"))

    def walk(self, node: Any, path: PathTuple, depth: int) -> None:
        if self.too_big:
            return
        self.visited += 1
        if self.visited > MAX_EXPANDED_NODES or depth > MAX_DEPTH:
            self.too_big = True
            reason = "nested too deeply" if depth > MAX_DEPTH else "too large once its aliases are expanded"
            self.problems.append(YamlProblem(f"the document is {reason}", _position(node), path[:4], code="too-big"))
            return
        self.source.values.setdefault(path, _position(node))
        if node.id not in ("sequence", "mapping"):
            if id(node) not in self._open:
                self._check_tag(node, path)
            return
        if id(node) in self._open:
            self.too_big = True
            self.problems.append(YamlProblem("an alias refers to the collection that contains it (recursive alias)",
                                             _position(node), path[:4], code="recursive-alias"))
            return
        self._check_tag(node, path)
        self._open.add(id(node))
        if node.id == "sequence":
            for index, item in enumerate(node.value):
                self.walk(item, path + (index,), depth + 1)
        else:
            self._walk_mapping(node, path, depth, explicit=True)
        self._open.discard(id(node))

    def _walk_mapping(self, node: Any, path: PathTuple, depth: int, *, explicit: bool) -> None:
        seen: dict[Any, Position] = {}
        report = explicit and id(node) not in self._checked_mappings
        self._checked_mappings.add(id(node))
        merged: list[Any] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append(value_node)
                continue
            if key_node.id != "scalar" or str(key_node.tag) not in ALLOWED_TAGS:
                self._check_tag(key_node, path)
            key = self.key_of(key_node)
            try:
                first = seen.get(key)
            except TypeError:
                first = None
            child = path + (key,)
            if first is not None and report:
                self.problems.append(
                    YamlProblem(
                        f"duplicate key '{key}' (first written at line {first[0]}); YAML would keep only one of them",
                        _position(key_node),
                        child,
                        found=str(key),
                        code="duplicate-key",
                    )
                )
            else:
                try:
                    seen[key] = _position(key_node)
                except TypeError:
                    pass
            if explicit or child not in self.source.values:
                self.source.keys[child] = _position(key_node)
            self.walk(value_node, child, depth + 1)
        # Merged (<<) mappings fill in only what the mapping itself does not say.
        for value_node in merged:
            sources = value_node.value if value_node.id == "sequence" else [value_node]
            for source in sources:
                if source.id == "mapping":
                    self._walk_mapping(source, path, depth + 1, explicit=False)
                else:
                    self._check_tag(source, path)


def plain(value: Any) -> Any:
    """ruamel's round-trip values (CommentedMap, ScalarFloat, quoted strings...) as plain Python data."""
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    from ruamel.yaml.comments import TaggedScalar
    from ruamel.yaml.scalarbool import ScalarBoolean

    if isinstance(value, ScalarBoolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, TaggedScalar):  # an explicit core tag such as !!str 1
        return value.value
    return value


def _mark_position(error: Any) -> Position:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return (mark.line + 1, mark.column + 1)
    return (1, 1)


def describe_yaml_error(error: Exception, text: str) -> YamlProblem:
    """A YAML syntax error as one located problem, in the YAML library's own words."""
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.reader import ReaderError

    if isinstance(error, ReaderError):
        before = text[: error.position]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        character = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or " ")
        return YamlProblem(f"character U+{character:04X} is not allowed in YAML", (line, column), code="yaml")
    if isinstance(error, MarkedYAMLError):
        parts = [part for part in (error.context, error.problem) if part]
        message = "; ".join(parts) if parts else str(error)
        if error.context and error.context_mark is not None and error.problem_mark is not None:
            if error.context_mark.line != error.problem_mark.line:
                message = f"{error.problem} ({error.context} at line {error.context_mark.line + 1})"
        position = _mark_position(error)
        at_end = error.problem_mark is not None and error.problem_mark.index >= len(text.rstrip())
        if at_end and error.context_mark is not None:
            # "got <stream end>" points past the last line; the unclosed thing starts at the context mark.
            position = (error.context_mark.line + 1, error.context_mark.column + 1)
        return YamlProblem(f"YAML syntax: {message}", position, code="yaml")
    return YamlProblem(f"YAML: {error}", (1, 1), code="yaml")


def round_trip_yaml() -> Any:
    """ruamel's round-trip reader/writer, set up the way policies are read and written."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = True  # _Walker reports each duplicate, located, instead of one exception
    yaml.width = 100_000  # never re-wrap a long line the user wrote
    return yaml


def parse_yaml(text: str) -> ParsedYaml:
    """Compose, map, check and construct ``text``; never raises for bad input."""
    from ruamel.yaml.error import YAMLError

    yaml = round_trip_yaml()
    try:
        constructor, _parser = yaml.get_constructor_parser(io.StringIO(text))
        node = constructor.composer.get_single_node()
    except YAMLError as error:
        return ParsedYaml(None, SourceMap(), [describe_yaml_error(error, text)])
    except RecursionError:
        return ParsedYaml(None, SourceMap(), [YamlProblem("the document is nested too deeply", (1, 1), code="too-big")])
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as error:
        # ruamel.yaml raises some of these itself on odd input (a %YAML directive after content).
        return ParsedYaml(None, SourceMap(), [_unreadable(error, yaml)])
    if node is None:
        return ParsedYaml(None, SourceMap(), [])
    walker = _Walker(constructor)
    walker.walk(node, (), 0)
    if walker.too_big or walker.bad_tag or walker.bad_value:
        return ParsedYaml(None, walker.source, walker.problems)
    try:
        tree = constructor.construct_document(node)
        data = plain(tree)
    except YAMLError as error:
        return ParsedYaml(None, walker.source, walker.problems + [describe_yaml_error(error, text)])
    except RecursionError:
        problem = YamlProblem("the document refers to itself (recursive alias)", (1, 1), code="too-big")
        return ParsedYaml(None, walker.source, walker.problems + [problem])
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as error:
        return ParsedYaml(None, walker.source, walker.problems + [_unreadable(error, yaml)])
    return ParsedYaml(data, walker.source, walker.problems, tree)


def _unreadable(error: Exception, yaml: Any) -> YamlProblem:
    """A failure inside the YAML library that is not a YAMLError, placed where its reader stopped."""
    reader = getattr(yaml, "reader", None)
    line, column = getattr(reader, "line", 0), getattr(reader, "column", 0)
    return YamlProblem(f"YAML: this text cannot be read ({type(error).__name__}: {error})",
                       (int(line) + 1, int(column) + 1), code="yaml")
