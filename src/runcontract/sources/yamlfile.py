"""YAML documents, loaded as plain data only and within limits.

The loader is a safe loader (no Python tags: a cassette must never run code) built on libyaml's
parser when it is there. Its composer is ours, for three reasons: it bounds nesting (the C
composer recurses on the C stack), it bounds what aliases expand to ("billion laughs"), and it
lets a later anchor replace an earlier one of the same name, as YAML 1.2 allows and some
cassette writers produce, where PyYAML would refuse the file.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import Node, ScalarNode

from runcontract.sources.context import Unreadable
from runcontract.sources.limits import Limits

if TYPE_CHECKING:
    _SafeBase = yaml.SafeLoader
else:
    _SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _BoundedComposer(Composer):
    max_depth = 0
    max_alias_nodes = 0

    if TYPE_CHECKING:  # supplied by the parser and resolver this composer is mixed with

        def check_event(self, *choices: Any) -> bool: ...
        def peek_event(self) -> Any: ...
        def get_event(self) -> Any: ...
        def descend_resolver(self, current_node: Node | None, current_index: Any) -> None: ...
        def ascend_resolver(self) -> None: ...

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._composed = 0  # nodes so far, aliases counted at their expanded size
        self._aliased = 0
        self._anchor_sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            return self._compose_alias()
        event = self.peek_event()
        if self._depth >= self.max_depth:
            raise ComposerError(
                None, None, f"nesting deeper than {self.max_depth} levels", event.start_mark
            )
        anchor = event.anchor
        start = self._composed
        self._composed += 1
        self._depth += 1
        self.descend_resolver(parent, index)
        if self.check_event(ScalarEvent):
            node: Node = self.compose_scalar_node(anchor)
        elif self.check_event(SequenceStartEvent):
            node = self.compose_sequence_node(anchor)
        elif self.check_event(MappingStartEvent):
            node = self.compose_mapping_node(anchor)
        else:
            raise ComposerError(None, None, "expected a node", event.start_mark)
        self.ascend_resolver()
        self._depth -= 1
        if anchor is not None:
            self._anchor_sizes[id(node)] = self._composed - start
        return node

    def _compose_alias(self) -> Node:
        event = self.get_event()
        target = self.anchors.get(event.anchor)
        if target is None:
            problem = f"found undefined alias {event.anchor!r}"
            raise ComposerError(None, None, problem, event.start_mark)
        size = self._anchor_sizes.get(id(target))
        if size is None:
            problem = "found an alias inside its own anchor (a structure that contains itself)"
            raise ComposerError(None, None, problem, event.start_mark)
        self._composed += size
        self._aliased += size
        if self._aliased > self.max_alias_nodes:
            raise ComposerError(
                None,
                None,
                f"aliases expand to more than {self.max_alias_nodes} nodes",
                event.start_mark,
            )
        return target


class RunYamlLoader(_BoundedComposer, _SafeBase):
    """A safe loader with bounded composition; `loader_for` sets the bounds."""

    def __init__(self, stream: bytes) -> None:
        _SafeBase.__init__(self, stream)
        _BoundedComposer.__init__(self)


def _construct_ruby_binary(loader: RunYamlLoader, node: ScalarNode) -> bytes:
    # Ruby's Psych writes non-UTF-8 strings as `!binary`, base64 like YAML's own `!!binary`.
    return loader.construct_yaml_binary(node)


RunYamlLoader.add_constructor("!binary", _construct_ruby_binary)


@functools.cache
def loader_for(limits: Limits) -> type[RunYamlLoader]:
    return type(
        "BoundedRunYamlLoader",
        (RunYamlLoader,),
        {"max_depth": limits.max_yaml_depth, "max_alias_nodes": limits.max_yaml_alias_nodes},
    )


def load(data: bytes, limits: Limits) -> object:
    try:
        return yaml.load(data, Loader=loader_for(limits))  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise Unreadable(_describe(exc)) from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        # ValueError: a timestamp such as 2024-13-45, an integer beyond Python's digit limit.
        raise Unreadable(f"not valid YAML ({exc})") from None


def _describe(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "unreadable"
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    if isinstance(exc, ConstructorError) and "could not determine a constructor" in problem:
        tag = problem.rpartition(" ")[2]
        return f"YAML tag {tag}{where} is not allowed: only plain data is loaded"
    return f"not valid YAML ({problem}{where})"
