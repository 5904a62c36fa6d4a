"""Every API response the test suite receives is checked against the OpenAPI schema the
platform serves (as Zulip does): the operation must exist, must document the status, and a
JSON body must match the documented shape exactly — no undocumented field, no null where the
schema promises a value, no list where it promises an object. tests/conftest.py hooks this
into Django's test client, so a response that drifts from its documentation fails the test
that received it.
"""
from __future__ import annotations

import copy
import functools
import json
import re

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# Served without being documented on purpose: the schema itself and its viewers.
UNDOCUMENTED = re.compile(r"^/api/v1/(schema|docs|redoc)/")


class SchemaDrift(AssertionError):
    pass


@functools.cache
def api_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def _closed(node):
    """Objects documented with properties admit no others: an undocumented field is drift."""
    if isinstance(node, dict):
        node = {key: _closed(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node and node.get("type") in ("object", None):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


@functools.cache
def _registry_and_operations():
    schema = api_schema()
    components = _closed(copy.deepcopy(schema.get("components", {})))
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": components}
    registry = Registry().with_resource("urn:jiannuo-api", Resource.from_contents(root, default_specification=DRAFT202012))
    templates = []
    for template, operations in schema["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        templates.append((template.count("{"), template, pattern, operations))
    templates.sort(key=lambda entry: entry[0])  # a literal segment wins over a parameter
    return registry, templates


def _rebased(node):
    """Local references point into the registered components document."""
    if isinstance(node, dict):
        return {key: ("urn:jiannuo-api" + value if key == "$ref" and value.startswith("#/") else _rebased(value)) for key, value in node.items()}
    if isinstance(node, list):
        return [_rebased(value) for value in node]
    return node


def operation_for(path: str, method: str):
    _registry, templates = _registry_and_operations()
    for _count, template, pattern, operations in templates:
        if pattern.match(path):
            return template, operations.get(method.lower())
    return None, None


def validate_response(method: str, path: str, status: int, content_type: str, body: bytes) -> None:
    """Raise SchemaDrift when the response is not what the schema says this operation answers."""
    if not path.startswith("/api/") or UNDOCUMENTED.match(path):
        return
    template, operation = operation_for(path, method)
    media = (content_type or "").split(";")[0].strip()
    if operation is None:
        # No such operation: only an error envelope may answer (404 unknown address, 405 method).
        if status < 400:
            raise SchemaDrift(f"{method} {path} answered {status} but the schema has no such operation")
        if media == "application/json":
            _check(body, {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}")
        return
    responses = operation.get("responses", {})
    documented = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    if documented is None:
        if status >= 500:
            raise SchemaDrift(f"{method} {template} answered {status}: a server error, never documented")
        raise SchemaDrift(f"{method} {template} answered {status}, which it does not document (documents {sorted(responses)})")
    content = documented.get("content")
    if not content:
        if body:
            raise SchemaDrift(f"{method} {template} {status} documents no body but sent {len(body)} bytes")
        return
    if media not in content:
        raise SchemaDrift(f"{method} {template} {status} sent {media!r}; documented {sorted(content)}")
    if media == "application/json":
        _check(body, content[media].get("schema", {}), f"{method} {template} {status}")


def _check(body: bytes, schema: dict, where: str) -> None:
    registry, _templates = _registry_and_operations()
    try:
        instance = json.loads(body)
    except ValueError as exc:
        raise SchemaDrift(f"{where}: the body is not JSON ({exc})") from None
    validator = jsonschema.Draft202012Validator(_closed(_rebased(schema)), registry=registry)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        at = "/".join(str(part) for part in error.absolute_path) or "(the body)"
        raise SchemaDrift(f"{where}: at {at}: {error.message}")
