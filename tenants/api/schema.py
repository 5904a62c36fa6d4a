"""The OpenAPI schema's shared parts: the error envelope (tenants.api.errors) on every
operation, for each status the operation can answer with.

Which statuses an operation documents follows from what it is: anyone may send a bad
parameter or body (400); an operation behind a login answers 401 without one and 403 to the
wrong person; an address with an id or a unit in it can name what does not exist or is not
the caller's (404); a write can meet a state that forbids it (409); sign-in and activation are
throttled (429); a unit still being set up answers 503. The test suite checks every response it receives against this schema
(tests/support/openapi.py), so an undocumented status fails a test.
"""
from __future__ import annotations

ERROR_COMPONENT = "Error"

_ERROR_SCHEMA = {
    "type": "object",
    "description": "错误信封（所有 4xx/5xx 回答的形状）. The one error envelope of the API.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer", "description": "HTTP 状态码 / HTTP status"},
                "code": {"type": "string", "description": "机器可读代码，如 invalid、conflict、not_found / machine-readable code"},
                "message": {"type": "string", "description": "译成调用方语言的一句话 / one sentence in the caller's language"},
                "fields": {
                    "type": "object",
                    "description": "逐字段的错误（仅 400 invalid）；嵌套字段用点号 / per-field messages (400 invalid only), dotted for nested fields",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["status", "code", "message"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}

_DESCRIPTIONS = {
    "400": "请求无效：参数或字段有误，`fields` 列出各字段的原因 / Invalid input: `fields` says what is wrong with each field.",
    "401": "未登录或登录已过期 / Not signed in, or the sign-in has expired.",
    "403": "无权进行此操作 / Not allowed for this caller.",
    "404": "不存在，或调用方无权看到 / Not found, or not the caller's to see.",
    "409": "当前状态或阶段不允许此操作 / The object's state or the round's phase does not allow this now.",
    "503": "该单位正在开通，稍后再试 / The unit is still being set up; try again shortly.",
    "429": "尝试过于频繁，请稍后再试 / Too many attempts; try again later.",
}

_THROTTLED = ("/api/v1/auth/", "/activation")


def _statuses(path: str, method: str, operation: dict) -> list[str]:
    anonymous = not operation.get("security") or {} in operation.get("security", [])
    statuses = ["400"]
    signs_in = any(marker in path for marker in _THROTTLED)
    if not anonymous or signs_in:  # signing in refuses wrong credentials (401) and locked accounts (403)
        statuses += ["401", "403"]
    if "{" in path or any(p.get("name") == "page" for p in operation.get("parameters", [])):
        statuses.append("404")  # a page past the end of a list is not found too
    if method != "get":
        statuses.append("409")
    if signs_in:
        statuses.append("429")
    if path.startswith("/api/v1/u/{unit}/"):
        statuses.append("503")  # a unit still being provisioned takes no requests
    return statuses


def _any_or_null(node):
    """drf-spectacular writes a nullable field of any type as `oneOf: [{}, {type: null}]`, which
    null matches twice (so nothing validates): any value, null included, is simply `{}`."""
    if isinstance(node, dict):
        variants = node.get("oneOf")
        if isinstance(variants, list) and {} in variants and {"type": "null"} in variants and len(variants) == 2:
            node = {key: value for key, value in node.items() if key != "oneOf"}
        return {key: _any_or_null(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_any_or_null(value) for value in node]
    return node


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error envelope component and each operation's
    4xx answers (an operation's own description of one is kept, with the envelope as its body)."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(status, {"description": _DESCRIPTIONS[status]})
            for status, response in responses.items():
                # An error an operation describes itself (what it means there) has the envelope too.
                if status[0] in "45" and not response.get("content", {}).get("application/json", {}).get("schema"):
                    response["content"] = {"application/json": {"schema": reference}}
    result["components"] = _any_or_null(result["components"])
    _close_one_of_variants(result["components"].get("schemas", {}))
    return result


def _close_one_of_variants(schemas: dict) -> None:
    """Shapes offered as alternatives (`oneOf`: a pledge's whole page or its public one) admit
    no other fields, so that an answer matches exactly one of them."""
    for schema in list(schemas.values()):
        for variant in schema.get("oneOf", []):
            name = variant.get("$ref", "").rsplit("/", 1)[-1]
            if name in schemas and "properties" in schemas[name]:
                schemas[name]["additionalProperties"] = False
