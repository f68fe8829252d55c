"""Read a policy's YAML into plain data while remembering where every value came from.

PyYAML is used with safe-loading semantics only (``SafeLoader``): the text is composed into a
node tree once, the tree yields a map from field path to (line, column), and the same tree is then
constructed into plain Python data. Two things PyYAML does silently are caught here: a key written
twice in one mapping (PyYAML keeps the last) and an alias bomb (a few anchors expanding into
millions of nodes), which is refused before anything walks the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from console.core.policy.diagnostics import PathTuple

Position = tuple[int, int]

#: Nodes visited after alias expansion; a real policy has a few thousand at most.
MAX_EXPANDED_NODES = 200_000
#: Nesting depth; condition trees are the deepest real part of a policy.
MAX_DEPTH = 100

_MERGE_TAG = "tag:yaml.org,2002:merge"


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
    data: Any
    source: SourceMap
    problems: list[YamlProblem]


def _position(node: Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    """Walks the composed node tree once, filling the source map and finding duplicate keys."""

    def __init__(self) -> None:
        self.source = SourceMap()
        self.problems: list[YamlProblem] = []
        self.visited = 0
        self.too_big = False
        self._checked_mappings: set[int] = set()
        self._keys = SafeConstructor()
        self._open: set[int] = set()  # collections being walked: meeting one again is a recursive alias

    def key_of(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            try:
                return self._keys.construct_object(node, deep=True)
            except yaml.YAMLError:
                return node.value
        return f"<{'sequence' if isinstance(node, SequenceNode) else 'mapping'} key>"

    def walk(self, node: Node, path: PathTuple, depth: int) -> None:
        if self.too_big:
            return
        self.visited += 1
        if self.visited > MAX_EXPANDED_NODES or depth > MAX_DEPTH:
            self.too_big = True
            reason = "nested too deeply" if depth > MAX_DEPTH else "too large once its aliases are expanded"
            self.problems.append(YamlProblem(f"the document is {reason}", _position(node), path[:4], code="too-big"))
            return
        self.source.values.setdefault(path, _position(node))
        if not isinstance(node, (SequenceNode, MappingNode)):
            return
        if id(node) in self._open:
            self.too_big = True
            self.problems.append(YamlProblem("an alias refers to the collection that contains it (recursive alias)",
                                             _position(node), path[:4], code="recursive-alias"))
            return
        self._open.add(id(node))
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self.walk(item, path + (index,), depth + 1)
        else:
            self._walk_mapping(node, path, depth, explicit=True)
        self._open.discard(id(node))

    def _walk_mapping(self, node: MappingNode, path: PathTuple, depth: int, *, explicit: bool) -> None:
        seen: dict[Any, Position] = {}
        report = explicit and id(node) not in self._checked_mappings
        self._checked_mappings.add(id(node))
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append(value_node)
                continue
            key = self.key_of(key_node)
            try:
                first = seen.get(key)
            except TypeError:
                first = None
            child = path + (key,)
            if first is not None and report:
                self.problems.append(
                    YamlProblem(
                        f"duplicate key '{key}' (first written at line {first[0]}); YAML would keep only this one",
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
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if isinstance(source, MappingNode):
                    self._walk_mapping(source, path, depth + 1, explicit=False)


def _mark_position(error: yaml.YAMLError) -> Position:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return (mark.line + 1, mark.column + 1)
    return (1, 1)


def describe_yaml_error(error: yaml.YAMLError, text: str) -> YamlProblem:
    """A YAML syntax error as one located problem, in PyYAML's own words."""
    if isinstance(error, yaml.reader.ReaderError):
        before = text[: error.position]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        character = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or " ")
        return YamlProblem(f"character U+{character:04X} is not allowed in YAML", (line, column), code="yaml")
    if isinstance(error, yaml.MarkedYAMLError):
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


def parse_yaml(text: str) -> ParsedYaml:
    """Compose, map and construct ``text``; never raises for bad input."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as error:
        return ParsedYaml(None, SourceMap(), [describe_yaml_error(error, text)])
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as error:
            return ParsedYaml(None, SourceMap(), [describe_yaml_error(error, text)])
        except RecursionError:
            return ParsedYaml(None, SourceMap(), [YamlProblem("the document is nested too deeply", (1, 1), code="too-big")])
        if node is None:
            return ParsedYaml(None, SourceMap(), [])
        walker = _Walker()
        walker.walk(node, (), 0)
        if walker.too_big:
            return ParsedYaml(None, walker.source, walker.problems)
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as error:
            return ParsedYaml(None, walker.source, walker.problems + [describe_yaml_error(error, text)])
        except RecursionError:
            problem = YamlProblem("the document refers to itself (recursive alias)", (1, 1), code="too-big")
            return ParsedYaml(None, walker.source, walker.problems + [problem])
        return ParsedYaml(data, walker.source, walker.problems)
    finally:
        loader.dispose()
