"""skl2onnx parser, shape calculator and converter for :class:`skmed.preprocessing.SymptomEncoder`.

The graph does what ``SymptomEncoder.transform`` does, with standard operators that onnxruntime
runs (no onnxruntime-extensions), so the exported model takes the raw text. Each distinct text
of a batch is encoded once (``Unique``) and the rows gathered back: symptom lists repeat
across patients, and the string work dominated the mixed pipeline's scoring.

* ``StringNormalizer`` (``LOWER``, locale ``"C"``) lowercases the ASCII letters of each cell,
  exactly ``lowercase=True`` (the ``"C"`` locale exists on every platform);
* each separator, then each whitespace character, is one ``StringSplit`` (opset 20); after each
  split the pieces are flattened into one list and the empty ones removed (``Compress``), each
  piece remembering its row (or its symptom), so memory stays linear in the text;
* the words of each symptom are placed in an ``[n_symptoms, L]`` grid (``ScatterND``) and joined
  back with single spaces (``StringConcat``), ``L`` being the most words of any known name: a
  longer symptom cannot be known and counts as unknown;
* one ``LabelEncoder`` (``ai.onnx.ml``) maps each symptom to its output column, synonyms folded
  in (a synonym key maps to the column of its canonical name; unknown -> the ``other`` column;
  a name mapped to ``""`` -> dropped);
* ``ScatterElements(reduction="add")`` counts per row and column; known columns are capped at 1.

``lowercase="unicode"`` and ``strip_accents="unicode"`` have no portable ONNX translation: the
shape calculator refuses them with a ``ValueError`` naming the option, before any graph is
written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from skl2onnx.common.data_types import FloatTensorType, StringTensorType

from skmed._compat import ModelComponentContainer, Operator, Scope, Variable
from skmed.onnx._builder import GraphBuilder
from skmed.onnx._registry import Registration, declare_operator
from skmed.preprocessing import WHITESPACE, SymptomEncoder, separator_tuple

#: StringSplit and StringConcat need opset 20.
MIN_OPSET_SYMPTOMS = 20

_ALIAS = "SkmedSymptomEncoder"
_DROP = -1  # LabelEncoder code of a name mapped to "" by the synonyms


def check_exportable(encoder: SymptomEncoder) -> None:
    """Raise a ValueError naming the option to turn off if the encoder has no ONNX translation."""
    problems = []
    if isinstance(encoder.lowercase, str):
        problems.append(
            "lowercase='unicode' (ONNX's StringNormalizer lowercases non-ASCII letters only "
            "under a named system locale, not portable and with rules different from Python's "
            "str.lower): use lowercase=True (ASCII letters) or lowercase=False"
        )
    if encoder.strip_accents is not None:
        problems.append(
            f"strip_accents={encoder.strip_accents!r} (no ONNX operator removes accents): use "
            "strip_accents=None"
        )
    if problems:
        raise ValueError(
            "SymptomEncoder cannot be exported to ONNX with "
            + "; and ".join(problems)
            + ". Change the option and refit; the exported model would otherwise differ from "
            "the Python one."
        )


def lookup_table(encoder: SymptomEncoder, column: int) -> tuple[list[str], list[int], int]:
    """Keys (normalised names), output column of each, and the most words in a key.

    A vocabulary name maps to its own column, a synonym key to the column of its canonical name
    (the ``other`` column if that name is not in the vocabulary, :data:`_DROP` if it is ``""``).
    """
    vocabulary = [str(t) for t in encoder.vocabulary_[column].tolist()]
    index = {t: i for i, t in enumerate(vocabulary)}
    other = len(vocabulary)
    table = {t: i for i, t in enumerate(vocabulary)}
    for key, canonical in encoder.synonyms_.items():
        table[key] = _DROP if canonical == "" else index.get(canonical, other)
    if not table:  # LabelEncoder needs a key; "" is never looked up (a name has a word)
        table[""] = other
    keys = sorted(table)
    max_words = max((len(k.split(" ")) for k in keys), default=1)
    return keys, [table[k] for k in keys], max_words


# ---------------------------------------------------------------------- skl2onnx hooks


def parse_symptom_encoder(
    scope: Scope, model: SymptomEncoder, inputs: list[Variable], custom_parsers: Any = None
) -> list[Variable]:
    """skl2onnx parser: one operator, one float output ``symptoms`` of shape [N, width]."""
    return declare_operator(scope, _ALIAS, model, inputs, {"symptoms": FloatTensorType()})


def calculate_symptom_output_shapes(operator: Operator) -> None:
    """skl2onnx shape calculator: string inputs, float output ``[N, n_features_out]``."""
    encoder = operator.raw_operator
    check_exportable(encoder)
    not_text = [v.onnx_name for v in operator.inputs if not isinstance(v.type, StringTensorType)]
    if not_text:
        raise ValueError(
            f"SymptomEncoder takes text columns, but input(s) {not_text} are not strings; give "
            "it only text columns of a frame (and export from a pandas frame)."
        )
    shape = operator.inputs[0].type.shape
    n_rows = shape[0] if shape else None
    width = len(encoder.get_feature_names_out())
    operator.outputs[0].type = FloatTensorType([n_rows, width])


def convert_symptom_encoder(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """skl2onnx converter: write the graph described in the module docstring."""
    encoder = operator.raw_operator
    check_exportable(encoder)
    if container.target_opset < MIN_OPSET_SYMPTOMS:
        raise ValueError(
            f"SymptomEncoder needs ONNX opset >= {MIN_OPSET_SYMPTOMS} (StringSplit, "
            f"StringConcat); target_opset={container.target_opset}."
        )
    g = GraphBuilder(scope, container)
    columns = _input_columns(g, operator, encoder.n_features_in_)
    blocks = [_write_column(g, encoder, j, x) for j, x in enumerate(columns)]
    out = operator.outputs[0].full_name
    if len(blocks) == 1:
        g.ops("Identity", blocks, [out])
    else:
        g.ops("Concat", blocks, [out], axis=1)


def _input_columns(g: GraphBuilder, operator: Operator, n_columns: int) -> list[str]:
    """One ``[N, 1]`` string tensor per encoded column."""
    names = [v.full_name for v in operator.inputs]
    if len(names) == n_columns:
        return names
    if len(names) == 1:
        return [g.op("Gather", [names[0], g.int64("i", [j])], axis=1) for j in range(n_columns)]
    raise ValueError(
        f"SymptomEncoder was fitted on {n_columns} columns but receives {len(names)} inputs."
    )


def _split(g: GraphBuilder, texts: str, parent: str, delimiter: str) -> tuple[str, str]:
    """Split 1D ``texts`` at ``delimiter``; return the non-empty pieces and their parents."""
    pieces = g.multi("StringSplit", [texts], 2, delimiter=delimiter)[0]
    owner = g.op(
        "Expand", [g.op("Unsqueeze", [parent, g.int64("i", [1])]), g.op("Shape", [pieces])]
    )
    flat = g.int64("i", [-1])
    pieces = g.op("Reshape", [pieces, flat])
    owner = g.op("Reshape", [owner, flat])
    keep = g.op("Not", [g.op("Equal", [pieces, g.const("empty", "", object)])])
    return g.op("Compress", [pieces, keep], axis=0), g.op("Compress", [owner, keep], axis=0)


def _arange(g: GraphBuilder, tensor: str) -> str:
    """``[0, 1, ..., len(tensor) - 1]`` as int64."""
    length = g.op("Gather", [g.op("Shape", [tensor]), g.int64("i", 0)], axis=0)
    return g.op("Range", [g.int64("i", 0), length, g.int64("i", 1)])


def _write_column(g: GraphBuilder, encoder: SymptomEncoder, column: int, x: str) -> str:
    """The ``[N, width]`` float block of one input column."""
    keys, codes, max_words = lookup_table(encoder, column)
    n_known = len(encoder.vocabulary_[column])
    other = n_known
    width = n_known + 1  # counts are gathered with the "other" column, sliced off if ignored

    # symptom lists repeat across patients: encode each distinct text once, then gather
    cells = g.op("Reshape", [x, g.int64("i", [-1])])  # [N]
    text, _, inverse, _ = g.multi("Unique", [cells], 4, sorted=0)
    if encoder.lowercase:
        text = g.op(
            "StringNormalizer",
            [text],
            case_change_action="LOWER",
            is_case_sensitive=1,
            locale="C",
        )
    rows = _arange(g, text)

    # symptoms: 1D, each with its row
    symptoms, symptom_row = text, rows
    for sep in separator_tuple(encoder.separators):
        symptoms, symptom_row = _split(g, symptoms, symptom_row, sep)

    # words: 1D, each with its symptom, in order
    words, word_owner = symptoms, _arange(g, symptoms)
    for space in WHITESPACE:
        words, word_owner = _split(g, words, word_owner, space)

    zeros_sym = g.op(
        "ConstantOfShape",
        [g.op("Shape", [symptoms])],
        value=_tensor_attr(np.array([0], dtype=np.int64)),
    )
    ones_word = g.op(
        "ConstantOfShape",
        [g.op("Shape", [words])],
        value=_tensor_attr(np.array([1], dtype=np.int64)),
    )
    n_words = g.op("ScatterElements", [zeros_sym, word_owner, ones_word], axis=0, reduction="add")
    start = g.op("CumSum", [n_words, g.int64("i", 0)], exclusive=1)
    position = g.op("Sub", [_arange(g, words), g.op("Gather", [start, word_owner], axis=0)])

    # the first max_words words of each symptom in a grid, joined with single spaces
    fits = g.op("Less", [position, g.int64("i", max_words)])
    where = g.op(
        "Concat",
        [
            g.op("Unsqueeze", [g.op("Compress", [word_owner, fits], axis=0), g.int64("i", [1])]),
            g.op("Unsqueeze", [g.op("Compress", [position, fits], axis=0), g.int64("i", [1])]),
        ],
        axis=1,
    )
    grid_shape = g.op("Concat", [g.op("Shape", [symptoms]), g.int64("i", [max_words])], axis=0)
    grid = g.op("Expand", [g.const("blank", [[""]], object), grid_shape])
    grid = g.op("ScatterND", [grid, where, g.op("Compress", [words, fits], axis=0)])
    name = g.op("Gather", [grid, g.int64("i", 0)], axis=1)
    space = g.const("space", " ", object)
    for k in range(1, max_words):
        word = g.op("Gather", [grid, g.int64("i", k)], axis=1)
        joined = g.op("StringConcat", [g.op("StringConcat", [name, space]), word])
        is_blank = g.op("Equal", [word, g.const("empty", "", object)])
        name = g.op("Where", [is_blank, name, joined])

    # output column of each symptom; too long -> other; no word or dropped -> removed
    code = g.op(
        "LabelEncoder",
        [name],
        op_domain="ai.onnx.ml",
        op_version=2,
        keys_strings=keys,
        values_int64s=codes,
        default_int64=other,
    )
    too_long = g.op("Greater", [n_words, g.int64("i", max_words)])
    code = g.op("Where", [too_long, g.int64("i", other), code])
    keep = g.op(
        "And",
        [
            g.op("Greater", [n_words, g.int64("i", 0)]),
            g.op("GreaterOrEqual", [code, g.int64("i", 0)]),
        ],
    )
    code = g.op("Compress", [code, keep], axis=0)
    row = g.op("Compress", [symptom_row, keep], axis=0)

    # counts per (row, column), then 0/1 for the vocabulary columns
    flat_index = g.op("Add", [g.op("Mul", [row, g.int64("i", width)]), code])
    n_cells = g.op("Mul", [g.op("Shape", [text]), g.int64("i", [width])])
    zeros = g.op(
        "ConstantOfShape", [n_cells], value=_tensor_attr(np.array([0.0], dtype=np.float32))
    )
    ones = g.op(
        "ConstantOfShape",
        [g.op("Shape", [code])],
        value=_tensor_attr(np.array([1.0], dtype=np.float32)),
    )
    counts = g.op("ScatterElements", [zeros, flat_index, ones], axis=0, reduction="add")
    counts = g.op("Reshape", [counts, g.int64("i", [-1, width])])
    cap = np.ones(width, dtype=np.float32)
    cap[other] = np.inf
    block = g.op("Min", [counts, g.const("cap", cap, np.float32)])
    if encoder.handle_unknown != "other":
        block = g.op(
            "Slice", [block, g.int64("i", [0]), g.int64("i", [n_known]), g.int64("i", [1])]
        )
    return g.op("Gather", [block, inverse], axis=0)  # back to one row per patient


def _tensor_attr(array: np.ndarray) -> Any:
    from onnx import numpy_helper

    return numpy_helper.from_array(array)


REGISTRATIONS = [
    Registration(
        SymptomEncoder,
        _ALIAS,
        calculate_symptom_output_shapes,
        convert_symptom_encoder,
        parser=parse_symptom_encoder,
    )
]
