"""Read YAML config files keeping line numbers, so errors can say ``file:line``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from reflekt_core.errors import ReflektError

if TYPE_CHECKING:  # PyYAML is imported when a file is read: linting an Iglu repository reads none
    import yaml


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML data plus the node tree used to find the line of a key."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, keys: Sequence[str | int]) -> int | None:
        """1-based line of the deepest node found along ``keys`` (None if unknown)."""
        import yaml

        node, line = self.root, None
        for key in keys:
            if node is None:
                break
            line = node.start_mark.line + 1
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == str(key)), None)
                if node is None:
                    break
                # Point at the key's own line rather than the value's.
                line = node.start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
        if line is None and self.root is not None:
            line = self.root.start_mark.line + 1
        return line

    def where(self, keys: Sequence[str | int]) -> str:
        line = self.line_of(keys)
        return f"{self.path}:{line}" if line else str(self.path)


#: A config file expands to far fewer nodes; aliases that multiply past this are an alias bomb.
MAX_EXPANDED_NODES = 100_000


def _check_expanded_size(root: yaml.Node, path: Path, error: type[ReflektError]) -> None:
    """Refuse YAML whose aliases expand it past :data:`MAX_EXPANDED_NODES` (or into a cycle).

    Composing keeps an alias as a shared node, so this costs one visit per distinct node;
    it is what reads the document afterwards (validation, ``env_var`` rendering) that would
    walk every expanded copy.
    """
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise error("a YAML alias refers to itself", where=f"{path}:{node.start_mark.line + 1}",
                        hint="remove the recursive alias")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                raise error(f"the YAML expands to more than {MAX_EXPANDED_NODES:,} values through its aliases "
                            "(an alias bomb?)", where=f"{path}:{node.start_mark.line + 1}",
                            hint="write the values out instead of nesting aliases")
        active.discard(key)
        sizes[key] = total
        return total

    try:
        size(root)
    except RecursionError:
        raise error("the YAML is nested too deeply", where=str(path)) from None


def load_yaml(path: Path, error: type[ReflektError]) -> YamlDocument:
    """Parse a YAML file; raise ``error`` with file and line on failure."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read file: {exc.strerror if isinstance(exc, OSError) else exc}",
                    where=str(path)) from None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                _check_expanded_size(root, path, error)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise error(f"invalid YAML: {exc.problem or exc.context}", where=where,
                    hint="fix the YAML syntax at that line") from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", where=str(path)) from None
    return YamlDocument(path=path, data=data, root=root)
