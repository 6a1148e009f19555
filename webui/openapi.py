"""The OpenAPI 3 document of ``/api/v1``; the tests validate every response against it."""

from __future__ import annotations

from typing import Any

from engine.model import KNOWN_LANES

DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


TASK = {
    "type": "object",
    "required": ["id", "instance", "registration", "name", "lane", "sop_step", "ready_at", "due_at", "overdue"],
    "properties": {
        "id": {"type": "string", "description": "the task id (changes with every pass through a step)"},
        "instance": {"type": "integer"},
        "registration": {"type": "string", "example": "PTSP/2026/000001"},
        "name": {"type": "string"},
        "lane": NULLABLE_STRING,
        "sop_step": NULLABLE_INT,
        "ready_at": DATETIME,
        "due_at": NULLABLE_DATETIME,
        "overdue": {"type": "boolean"},
        "status": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
        "service": NULLABLE_STRING,
    },
}

FORM_FIELD = {
    "type": "object",
    "required": ["id", "type", "label", "required", "enum"],
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string", "enum": ["string", "long", "boolean", "date", "enum", "checklist"]},
        "label": {"type": "string"},
        "required": {"type": "boolean"},
        "enum": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "referral": {
                        "type": ["string", "null"],
                        "description": "a service another ministry serves: shown, not chosen",
                    },
                },
            },
        },
        "default": NULLABLE_STRING,
        "constraints": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

TASK_DETAIL = {
    "allOf": [
        _ref("Task"),
        {
            "type": "object",
            "required": ["form", "mutu_baku", "standard"],
            "properties": {
                "documentation": NULLABLE_STRING,
                "standard": {**NULLABLE_STRING, "description": "the time standard, ISO 8601 (PT15M)"},
                "mutu_baku": {
                    "type": "object",
                    "required": ["persyaratan", "waktu", "output"],
                    "properties": {k: NULLABLE_STRING for k in ("persyaratan", "waktu", "output")},
                },
                "form": {
                    "type": "object",
                    "required": ["fields"],
                    "properties": {"fields": {"type": "array", "items": _ref("FormField")}},
                },
                "breached_at": NULLABLE_DATETIME,
                "completed_at": NULLABLE_DATETIME,
                "completed_by": NULLABLE_STRING,
                "element": {"type": "string"},
            },
        },
    ]
}

SUMMARY_TASK = {
    "type": "object",
    "required": ["id", "instance", "registration", "name", "lane", "sop_step", "ready_at", "due_at", "status"],
    "properties": {k: v for k, v in TASK["properties"].items() if k != "overdue"},
}

COMPLETE_RESULT = {
    "type": "object",
    "required": ["task", "instance", "registration", "status", "next_tasks"],
    "properties": {
        "task": {"type": "string"},
        "instance": {"type": "integer"},
        "registration": {"type": "string"},
        "status": {"type": "string", "enum": ["running", "completed", "cancelled"]},
        "next_tasks": {"type": "array", "items": _ref("TaskSummary")},
    },
}

INSTANCE = {
    "type": "object",
    "required": ["id", "registration", "status", "version", "process", "owner", "started_at", "data", "open_tasks"],
    "properties": {
        "id": {"type": "integer"},
        "registration": {"type": "string"},
        "status": {"type": "string", "enum": ["running", "completed", "cancelled"]},
        "service": NULLABLE_STRING,
        "process": {"type": "string"},
        "version": {"type": "integer", "description": "the diagram version the application runs on"},
        "owner": {"type": "string"},
        "owner_name": NULLABLE_STRING,
        "started_at": DATETIME,
        "ended_at": NULLABLE_DATETIME,
        "data": {"type": "object", "description": "the form values entered so far"},
        "open_tasks": {"type": "array", "items": _ref("TaskSummary")},
    },
}

EVENT = {
    "type": "object",
    "required": ["seq", "type", "at", "actor", "task", "task_name", "lane"],
    "properties": {
        "seq": {"type": "integer", "minimum": 1},
        "type": {
            "type": "string",
            "enum": [
                "instance_started",
                "task_ready",
                "task_completed",
                "gateway_decided",
                "sla_breached",
                "instance_completed",
                "instance_cancelled",
                "instance_migrated",
            ],
        },
        "at": DATETIME,
        "actor": NULLABLE_STRING,
        "task": NULLABLE_STRING,
        "task_name": NULLABLE_STRING,
        "lane": NULLABLE_STRING,
    },
    "additionalProperties": True,
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                "problems": {"type": "array", "items": _ref("Problem"), "description": "every problem of a diagram"},
            },
        }
    },
}

PROBLEM = {
    "type": "object",
    "required": ["line", "element", "message"],
    "properties": {
        "line": NULLABLE_INT,
        "element": NULLABLE_STRING,
        "name": NULLABLE_STRING,
        "message": {"type": "string"},
    },
}

DEPLOY_RESULT = {
    "type": "object",
    "required": ["process", "version", "sha256", "created", "active", "dry_run", "problems"],
    "properties": {
        "process": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "created": {"type": "boolean", "description": "false: this exact file was deployed before, as this version"},
        "active": {"type": "boolean", "description": "whether new applications start on this version"},
        "dry_run": {"type": "boolean"},
        "problems": {"type": "array", "maxItems": 0},
    },
}

VERSION = {
    "type": "object",
    "required": [
        "process",
        "version",
        "name",
        "sha256",
        "deployed_at",
        "deployed_by",
        "note",
        "active",
        "running_instances",
    ],
    "properties": {
        "process": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "name": {"type": "string"},
        "sha256": {"type": "string"},
        "deployed_at": DATETIME,
        "deployed_by": NULLABLE_STRING,
        "note": NULLABLE_STRING,
        "active": {"type": "boolean"},
        "running_instances": {"type": "integer", "minimum": 0},
        "last_activated_at": NULLABLE_DATETIME,
    },
}

ACTIVATION = {
    "type": "object",
    "required": ["process", "version", "activated_at", "activated_by", "note"],
    "properties": {
        "process": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "activated_at": DATETIME,
        "activated_by": NULLABLE_STRING,
        "note": NULLABLE_STRING,
    },
}

PROCESS_PARAM = {
    "name": "process",
    "in": "query",
    "description": "the process id (default: the process activated most recently)",
    "schema": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_.-]{0,199}$"},
}
# a change note: text without control characters (line breaks and tabs allowed)
NOTE_CHAR = "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
NOTE = {"type": "string", "pattern": f"^{NOTE_CHAR}{{0,2000}}$"}
REQUIRED_NOTE = {
    "type": "string",
    "maxLength": 2000,
    "pattern": f"^{NOTE_CHAR}*[^\\s\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]{NOTE_CHAR}*$",
    "description": "what changed and why (required)",
}

FORM_DATA = {
    "type": "object",
    "properties": {"data": {"type": "object", "description": "form field id -> value", "additionalProperties": True}},
}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "malformed request",
        401: "no valid bearer token",
        403: "not allowed for this user (wrong lane, not the applicant, not a process owner)",
        404: "not found, or not visible to this user",
        409: "already completed, or changed by someone else meanwhile",
        422: "form data invalid (fields names each problem), a diagram refused (problems lists every problem), "
        "or the process could not continue",
    }
    return {
        str(code): {"description": text[code], "content": {"application/json": {"schema": _ref("Error")}}}
        for code in codes
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _id_param(name: str, schema_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": schema_type}
    if schema_type == "integer":
        schema["minimum"] = 1
    return {"name": name, "in": "path", "required": True, "schema": schema}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PTSP Kemenag Kota Jakarta Selatan",
            "version": "1",
            "description": 'Tasks and applications of the PTSP SOP. Errors are {"error": {"code", "message", '
            '"fields"?}}.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "the OpenAPI document")},
                }
            },
            "/tasks": {
                "get": {
                    "summary": "Ready tasks the user may do, soonest deadline first",
                    "parameters": [
                        {
                            "name": "lane",
                            "in": "query",
                            "description": "one lane's tasks; without it, the tasks of every lane of the user",
                            "schema": {"type": "string", "enum": list(KNOWN_LANES)},
                        },
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": 999999},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["tasks"],
                                "properties": {"tasks": {"type": "array", "items": _ref("Task")}},
                            },
                            "the tasks",
                        ),
                        **_errors(400, 401),
                    },
                }
            },
            "/tasks/{id}": {
                "get": {
                    "summary": "One task with its SOP standard and its form",
                    "parameters": [_id_param("id", "string")],
                    "responses": {"200": _json(_ref("TaskDetail"), "the task"), **_errors(401, 404)},
                }
            },
            "/tasks/{id}/complete": {
                "post": {
                    "summary": "Complete a task with its form data",
                    "parameters": [_id_param("id", "string")],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": FORM_DATA}}},
                    "responses": {
                        "200": _json(_ref("CompleteResult"), "completed"),
                        **_errors(400, 401, 403, 404, 409, 422),
                    },
                }
            },
            "/instances": {
                "post": {
                    "summary": "File a new application (applicants)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": FORM_DATA}}},
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "required": ["id", "registration"],
                                "properties": {"id": {"type": "integer"}, "registration": {"type": "string"}},
                            },
                            "filed",
                        ),
                        **_errors(400, 401, 403, 422),
                    },
                }
            },
            "/instances/{id}": {
                "get": {
                    "summary": "An application",
                    "parameters": [_id_param("id", "integer")],
                    "responses": {"200": _json(_ref("Instance"), "the application"), **_errors(401, 404)},
                }
            },
            "/instances/{id}/history": {
                "get": {
                    "summary": "An application's history, oldest first",
                    "parameters": [_id_param("id", "integer")],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["events"],
                                "properties": {"events": {"type": "array", "items": _ref("Event")}},
                            },
                            "the events",
                        ),
                        **_errors(401, 404),
                    },
                }
            },
            "/instances/{id}/diagram.svg": {
                "get": {
                    "summary": "The application's diagram with its state marked",
                    "parameters": [
                        _id_param("id", "integer"),
                        {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["id", "en"]}},
                    ],
                    "responses": {
                        "200": {
                            "description": "SVG (a standalone document)",
                            "content": {"image/svg+xml": {"schema": {}}},
                        },
                        **_errors(400, 401, 404),
                    },
                }
            },
            "/definitions": {
                "get": {
                    "summary": "Every deployed version of a process, newest first (process owners, auditors)",
                    "parameters": [PROCESS_PARAM],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["definitions"],
                                "properties": {"definitions": {"type": "array", "items": _ref("Version")}},
                            },
                            "the versions",
                        ),
                        **_errors(400, 401, 403, 404),
                    },
                },
                "post": {
                    "summary": "Deploy a .bpmn file as saved by a modeler (process owners)",
                    "description": "Nothing is stored unless the whole file is valid; a refusal lists every "
                    "problem with its line and element. The first version of a process is active at once; a later "
                    "one only with activate=true (or POST /definitions/{version}/activate).",
                    "parameters": [
                        {"name": "note", "in": "query", "schema": NOTE},
                        {"name": "activate", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                        {"name": "dry_run", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/xml": {"schema": {"type": "string"}},
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {"file": {"type": "string", "format": "binary"}},
                                }
                            },
                        },
                    },
                    "responses": {
                        "201": _json(_ref("DeployResult"), "a new version stored"),
                        "200": _json(_ref("DeployResult"), "a dry run, or the file was deployed before"),
                        **_errors(400, 401, 403, 422),
                    },
                },
            },
            "/definitions/{version}/bpmn": {
                "get": {
                    "summary": "A version's file exactly as uploaded",
                    "parameters": [_id_param("version", "integer"), PROCESS_PARAM],
                    "responses": {
                        "200": {
                            "description": "the BPMN 2.0 XML file",
                            "content": {"application/xml": {"schema": {}}},
                        },
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/definitions/{version}/activate": {
                "post": {
                    "summary": "Put a version into service for new applications (process owners); a rollback "
                    "is activating an older one",
                    "parameters": [_id_param("version", "integer"), PROCESS_PARAM],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["note"],
                                    "properties": {"note": REQUIRED_NOTE},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("Activation"), "activated"),
                        **_errors(400, 401, 403, 404, 409),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Task": TASK,
                "TaskSummary": SUMMARY_TASK,
                "FormField": FORM_FIELD,
                "TaskDetail": TASK_DETAIL,
                "CompleteResult": COMPLETE_RESULT,
                "Instance": INSTANCE,
                "Event": EVENT,
                "Error": ERROR,
                "Problem": PROBLEM,
                "DeployResult": DEPLOY_RESULT,
                "Version": VERSION,
                "Activation": ACTIVATION,
            },
        },
    }
