"""The converters skmed registers with skl2onnx: one table, registered in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from skmed._compat import Scope, Variable


class Registration(NamedTuple):
    """What ``skl2onnx.update_registered_converter`` takes for one model class."""

    model: type
    alias: str
    shape_calculator: Callable[..., None]
    converter: Callable[..., None]
    parser: Callable[..., Any] | None = None
    options: dict[str, Any] | None = None


def register(registrations: list[Registration]) -> None:
    """Register each converter with skl2onnx (idempotent: ``overwrite=True``)."""
    from skl2onnx import update_registered_converter

    for entry in registrations:
        extra: dict[str, Any] = {}
        if entry.parser is not None:
            extra["parser"] = entry.parser
        if entry.options is not None:
            extra["options"] = entry.options
        update_registered_converter(
            entry.model,
            entry.alias,
            entry.shape_calculator,
            entry.converter,
            overwrite=True,
            **extra,
        )


def declare_operator(
    scope: Scope, alias: str, model: Any, inputs: list[Variable], outputs: dict[str, Any]
) -> list[Variable]:
    """What a custom parser does: one operator ``alias`` of ``model`` on ``inputs``, with one
    output per ``outputs`` entry (name -> skl2onnx tensor type instance)."""
    operator = scope.declare_local_operator(alias, model)
    operator.inputs = list(inputs)
    for name, tensor_type in outputs.items():
        operator.outputs.append(scope.declare_local_variable(name, tensor_type))
    return list(operator.outputs)
