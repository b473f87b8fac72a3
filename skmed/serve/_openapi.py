"""The OpenAPI 3.1 document of a server, generated from each model's input schema and profile.

Per model: a record schema with one typed property per input column (numbers, integers,
booleans, text; a category column's categories as an ``enum``; a symptom-list column as text or
a list of its known symptoms), ``required`` listing the columns that may not be missing, and a
prediction schema with one named probability per class. Clients in any language can be
generated from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from skmed.serve._model import ServedModel

__all__ = ["openapi_document"]

_ARROW = "application/vnd.apache.arrow.stream"

_KIND_TYPES = {
    "double": "number",
    "float": "number",
    "int64": "integer",
    "bool": "boolean",
    "string": "string",
}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "The input column at fault."},
                "row": {"type": "integer", "description": "The 0-based row at fault."},
            },
        }
    },
}


def field_schema(model: ServedModel, column: str) -> dict[str, Any]:
    """The JSON schema of one input value of ``column``."""
    kind = model.kinds[column]
    field = model.fields.get(column)
    optional = model.optional(column)
    schema: dict[str, Any]
    if field is not None and field.role == "symptoms":
        item: dict[str, Any] = {"type": "string"}
        if field.symptoms:
            item["enum"] = list(field.symptoms)
        schema = {
            "anyOf": [{"type": "string"}, {"type": "array", "items": item}],
            "description": (
                f"Symptoms, as text joined by {field.separator!r} or as a list; symptoms the "
                "model does not know are ignored."
            ),
        }
        if optional:
            schema["anyOf"].append({"type": "null"})
        return schema
    schema = {"type": [_KIND_TYPES[kind], "null"] if optional else _KIND_TYPES[kind]}
    notes = []
    note = model.card_notes.get(column)
    if note is not None and (note.label or note.unit):
        notes.append(note.title(column) + ".")
    if field is not None and field.categories is not None:
        if field.unknown_refused or model.strict:
            # exactly what is accepted: others are refused (422)
            schema["enum"] = [*field.categories, *([None] if optional else [])]
        else:
            schema["examples"] = list(field.categories)
            notes.append(
                f"Known categories: {', '.join(map(str, field.categories))}; another value is "
                "accepted with an 'unseen_category' warning and counts as none of them."
            )
    if field is not None:
        typical = field.typical_range()
        if typical is not None:
            notes.append(f"Typical range in the training data: {typical[0]:g} to {typical[1]:g}.")
    if note is not None and note.has_range:
        notes.append(f"Plausible range (model card): {note.range_text()}.")
    if notes:
        schema["description"] = " ".join(notes)
    return schema


def _model_components(model: ServedModel) -> dict[str, Any]:
    prefix = model.name
    if model.schema.layout == "matrix":
        (spec,) = model.schema.inputs
        row = {
            "type": "array",
            "items": {"type": ["number", "null"]},
            "minItems": spec.width,
            "maxItems": spec.width,
        }
        request = {
            "type": "object",
            "required": ["records"],
            "additionalProperties": False,
            "properties": {"records": {"type": "array", "minItems": 1, "items": row}},
        }
        return {f"{prefix}.Request": request, **_prediction_components(model)}
    columns = model.schema.columns
    properties = {c: field_schema(model, c) for c in columns}
    required = [c for c in columns if not model.optional(c)]
    record = {
        "type": "object",
        "examples": [model.example_record()],
        "properties": properties,
        "additionalProperties": False,
        **({"required": required} if required else {}),
    }
    by_column = {
        "type": "object",
        "properties": {c: {"type": "array", "items": s} for c, s in properties.items()},
        "additionalProperties": False,
        **({"required": required} if required else {}),
    }
    ref = f"#/components/schemas/{prefix}.Record"
    request = {
        "oneOf": [
            {
                "type": "object",
                "required": ["records"],
                "additionalProperties": False,
                "properties": {
                    "records": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": model.max_rows,
                        "items": {"$ref": ref},
                    }
                },
            },
            {
                "type": "object",
                "required": ["columns"],
                "additionalProperties": False,
                "properties": {"columns": {"$ref": f"#/components/schemas/{prefix}.Columns"}},
            },
        ]
    }
    return {
        f"{prefix}.Record": record,
        f"{prefix}.Columns": by_column,
        f"{prefix}.Request": request,
        **_prediction_components(model),
    }


def _prediction_components(model: ServedModel) -> dict[str, Any]:
    prefix = model.name
    probability = {"type": "number", "minimum": 0, "maximum": 1}
    row: dict[str, Any] = {
        "type": "object",
        "required": ["label", "probabilities"],
        "properties": {
            "label": {"enum": model.classes, "description": "The decision (see GET model)."},
            "probabilities": {
                "type": "object",
                "required": model.class_keys,
                "properties": {k: probability for k in model.class_keys},
                "additionalProperties": False,
            },
        },
    }
    row["required"].append("warnings")
    row["properties"]["warnings"] = {
        "type": "array",
        "description": "What to know of the row's values before the answer: an imputed value, "
        "a number outside the plausible or training range, an unseen category"
        + (" (this server refuses such rows: strict)." if model.strict else "."),
        "items": {
            "type": "object",
            "required": ["column", "kind", "value", "message"],
            "properties": {
                "column": {"type": "string"},
                "kind": {"enum": ["imputed", "out_of_range", "unseen_category"]},
                "value": {},
                "low": {"type": ["number", "null"]},
                "high": {"type": ["number", "null"]},
                "message": {"type": "string"},
            },
        },
    }
    if model.decision.threshold is not None:
        row["required"].append("positive")
        row["properties"]["positive"] = {
            "type": "boolean",
            "description": (
                f"Whether the risk of {model.decision.pos_label!r} reaches the model's "
                f"threshold ({model.decision.threshold:.4g})."
            ),
        }
    response = {
        "type": "object",
        "required": ["model", "n_rows", "predictions"],
        "properties": {
            "model": {"type": "string"},
            "n_rows": {"type": "integer"},
            "predictions": {
                "type": "array",
                "items": {"$ref": f"#/components/schemas/{prefix}.Prediction"},
            },
        },
    }
    return {f"{prefix}.Prediction": row, f"{prefix}.Response": response}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Malformed body.",
        401: "Missing or wrong bearer token.",
        404: "No such model.",
        413: "Body or batch too large.",
        415: "Unsupported content type.",
        422: "A row does not fit the model (the error names the row and field).",
    }
    return {
        str(s): {
            "description": text[s],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for s in statuses
    }


def _operation(
    verb: str,
    model: ServedModel,
    summary: str,
    security: list[dict[str, list[str]]],
    answer: str,
    content: dict[str, Any],
    errors: Sequence[int],
    **fields: Any,
) -> dict[str, Any]:
    """One operation on ``model``: its id, summary, security, ``fields`` and responses."""
    return {
        "operationId": f"{verb}_{model.name}".replace("-", "_").replace(".", "_"),
        "summary": summary,
        "security": security,
        **fields,
        "responses": {"200": {"description": answer, "content": content}, **_errors(*errors)},
    }


def _operations(model: ServedModel, auth: bool) -> dict[str, Any]:
    schemas = "#/components/schemas/"
    security: list[dict[str, list[str]]] = [{"bearer": []}] if auth else []
    errors = (400, 401, 404, 413, 415, 422) if auth else (400, 404, 413, 415, 422)
    arrow = {"schema": {"type": "string", "contentMediaType": _ARROW}}
    predict = _operation(
        "predict",
        model,
        f"Predict with {model.name}: a label and one probability per class per row.",
        security,
        "Predictions, one per row, in order.",
        {
            "application/json": {"schema": {"$ref": f"{schemas}{model.name}.Response"}},
            # with this Accept: columns label, proba_<class>, positive (two classes)
            _ARROW: arrow,
        },
        errors,
        requestBody={
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"{schemas}{model.name}.Request"}},
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": ",".join(model.schema.columns),
                },
                _ARROW: arrow,
            },
        },
    )
    describe = _operation(
        "describe",
        model,
        f"Classes, inputs, decision rule and metadata of {model.name}.",
        security,
        "The model's description.",
        {"application/json": {"schema": {"type": "object"}}},
        [e for e in errors if e in (401, 404)],
    )
    return {"predict": {"post": predict}, "describe": {"get": describe}}


def openapi_document(models: Sequence[ServedModel], *, auth: bool) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a server of ``models``."""
    schemas: dict[str, Any] = {"Error": _ERROR}
    paths: dict[str, Any] = {}
    health = {"description": "Up.", "content": {"application/json": {"schema": {"type": "object"}}}}
    paths["/healthz"] = {"get": {"operationId": "healthz", "responses": {"200": health}}}
    paths["/readyz"] = {"get": {"operationId": "readyz", "responses": {"200": health}}}
    for model in models:
        schemas.update(_model_components(model))
        ops = _operations(model, auth)
        paths[f"/v1/models/{model.name}"] = ops["describe"]
        paths[f"/v1/models/{model.name}/predict"] = ops["predict"]
    if len(models) == 1:
        ops = _operations(models[0], auth)
        for op in (ops["describe"]["get"], ops["predict"]["post"]):
            op["operationId"] += "_default"
        paths["/v1/model"] = ops["describe"]
        paths["/v1/predict"] = ops["predict"]
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "skmed model server",
            "version": "1",
            "description": "Predictions from exported skmed models: "
            + ", ".join(m.name for m in models),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }
    if auth:
        document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return document
