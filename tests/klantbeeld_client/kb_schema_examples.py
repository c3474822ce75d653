"""Make example JSON values from OpenAPI 3.0 schemas, so fake responses follow the spec.

``ExampleGenerator(spec, base_url).example(schema, hint)`` walks a schema: ``$ref``,
``allOf`` (merged), ``oneOf``/``anyOf`` (the discriminator's variant, else the first),
required and optional properties (optional ones only near the top, to keep bodies small),
``readOnly`` (included: these are responses) and ``writeOnly`` (left out), formats
``uuid``/``uri``/``date-time``/``date``/``email``, ``enum``, ``minLength``/``maxLength``,
``minimum``/``maximum`` and simple ``pattern``s (generated from the parsed regex).

``hint`` is a value the result should contain where the schema allows, e.g. the request
body of a POST, so the echoed resource carries what the client sent.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

try:  # the stdlib regex parser; private, but stable across 3.11-3.13
    from re import _constants as sre_c  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Python
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MISSING: Any = object()
OPTIONAL_DEPTH = 3  # below this nesting level only required properties are generated


class SchemaExampleError(Exception):
    """The generator cannot make a valid value for this schema (e.g. an unsupported regex)."""


def string_for_pattern(pattern: str) -> str:
    """The shortest simple string matching ``pattern`` (classes, repeats, groups, |)."""
    result = "".join(_emit(sre_parse.parse(pattern)))
    if not re.search(pattern, result):
        raise SchemaExampleError(f"cannot generate a string for pattern {pattern!r}")
    return result


def _emit(items: Any) -> list[str]:
    out: list[str] = []
    for op, av in items:
        if op is sre_c.LITERAL:
            out.append(chr(av))
        elif op is sre_c.IN:
            out.append(_char_in(av))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            low, _high, sub = av
            for _ in range(low):
                out.extend(_emit(sub))
        elif op is sre_c.SUBPATTERN:
            out.extend(_emit(av[-1]))
        elif op is sre_c.BRANCH:
            out.extend(_emit(av[1][0]))
        elif op is sre_c.ANY:
            out.append("a")
        elif op is sre_c.CATEGORY:
            out.append(_category(av))
        elif op is sre_c.AT:
            continue
        else:
            raise SchemaExampleError(f"regex construct {op} is not supported")
    return out


def _char_in(members: Any) -> str:
    op, av = members[0]
    if op is sre_c.NEGATE:
        raise SchemaExampleError("negated character classes are not supported")
    if op is sre_c.LITERAL:
        return chr(av)
    if op is sre_c.RANGE:
        return chr(av[0])
    if op is sre_c.CATEGORY:
        return _category(av)
    raise SchemaExampleError(f"character class member {op} is not supported")


def _category(category: Any) -> str:
    name = str(category)
    if "DIGIT" in name and "NOT" not in name:
        return "1"
    if "SPACE" in name and "NOT" not in name:
        return " "
    return "a"


class ExampleGenerator:
    def __init__(self, spec: dict[str, Any], base_url: str) -> None:
        self.spec = spec
        self.base_url = base_url.rstrip("/")

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def example(self, schema: dict[str, Any], hint: Any = MISSING, depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if hint is None and schema.get("nullable"):
            return None
        if "allOf" in schema:
            return self._all_of(schema, hint, depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._one_of(schema, key, hint, depth)
        if "enum" in schema:
            return hint if hint in schema["enum"] else schema["enum"][0]
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        if kind == "object":
            return self._object(schema, hint, depth)
        if kind == "array":
            return self._array(schema, hint, depth)
        if hint is not MISSING:
            return hint
        if kind == "string":
            return self._string(schema)
        if kind in ("integer", "number"):
            value = schema.get("minimum", 1)
            if "maximum" in schema:
                value = min(value, schema["maximum"])
            return int(value) if kind == "integer" else float(value)
        if kind == "boolean":
            return True
        return {} if kind is None else None

    def _all_of(self, schema: dict[str, Any], hint: Any, depth: int) -> Any:
        merged: dict[str, Any] = {}
        own = {k: v for k, v in schema.items() if k not in ("allOf", "nullable")}
        parts = list(schema["allOf"]) + ([own] if own.get("properties") else [])
        for part in parts:
            value = self.example(part, hint, depth)
            if not isinstance(value, dict):
                return value  # allOf of a single enum or scalar
            _deep_merge(merged, value)
        return merged

    def _one_of(self, schema: dict[str, Any], key: str, hint: Any, depth: int) -> Any:
        variants = schema[key]
        discriminator = schema.get("discriminator")
        chosen = variants[0]
        tag: str | None = None
        if discriminator:
            prop = discriminator["propertyName"]
            mapping = discriminator.get("mapping") or {
                v["$ref"].rsplit("/", 1)[-1]: v["$ref"] for v in variants if "$ref" in v
            }
            tag = hint.get(prop) if isinstance(hint, dict) else None
            if tag not in mapping:
                tag = next(iter(mapping))
            chosen = {"$ref": mapping[tag]}
            value = self.example(chosen, hint, depth)
            value[prop] = tag
            return value
        return self.example(chosen, hint, depth)

    def _object(self, schema: dict[str, Any], hint: Any, depth: int) -> Any:
        properties: dict[str, Any] = schema.get("properties", {})
        hint_dict = hint if isinstance(hint, dict) else {}
        if not properties:
            return copy.deepcopy(hint_dict)  # free-form object (additionalProperties)
        required = set(schema.get("required", []))
        result: dict[str, Any] = {}
        for name, prop in properties.items():
            resolved = self.resolve(prop)
            if resolved.get("writeOnly") or prop.get("writeOnly"):
                continue
            if name in hint_dict:
                result[name] = self.example(prop, hint_dict[name], depth + 1)
            elif name in required or depth < OPTIONAL_DEPTH:
                if prop.get("deprecated") and name not in required:
                    continue
                result[name] = self.example(prop, MISSING, depth + 1)
        return result

    def _array(self, schema: dict[str, Any], hint: Any, depth: int) -> list[Any]:
        items = schema.get("items", {})
        if isinstance(hint, list):
            return [self.example(items, h, depth + 1) for h in hint]
        if depth >= OPTIONAL_DEPTH + 2 and not schema.get("minItems"):
            return []
        return [self.example(items, MISSING, depth + 1) for _ in range(schema.get("minItems", 1))]

    def _string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "uri":
            return f"{self.base_url}/voorbeeld/{uuid.uuid4()}"
        if fmt == "date-time":
            return "2024-05-01T10:30:00+02:00"
        if fmt == "date":
            return "2024-05-01"
        if fmt == "email":
            return "info@example.org"
        if "pattern" in schema:
            value = string_for_pattern(schema["pattern"])
        else:
            value = "voorbeeld"
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if len(value) < low:
            value += "x" * (low - len(value))
        if high is not None and len(value) > high:
            value = value[:high]
        return value


def _deep_merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value
