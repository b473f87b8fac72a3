"""The trained network as plain arrays: built into Keras, read back from Keras, run with numpy.

A *network* is a list of dense steps, each a plain dict
``{"kernel": (n_in, n_out) float32, "bias": (n_out,) float32, "activation": str}``,
applied in order: ``x -> activation(x @ kernel + bias)``. Dropout is dropped (it is the identity
at inference) and batch normalization is folded into the adjacent dense step, so this one form
describes any Keras ``Sequential`` of Dense / Dropout / BatchNormalization / Activation layers,
whichever backend trained it. The last step may also hold ``"skip": (n_features, n_out)``, the
*linear path*: a kernel from the network's input straight to the output logits, so the output is
``activation(h @ kernel + bias + x @ skip)`` (a logistic regression beside the hidden layers).
The classifier predicts with :mod:`skmed.neural_network._forward`, and the ONNX converter
writes the same steps as graph operators; neither needs Keras. Plain dicts of arrays keep
pickles and ``skops`` files free of skmed-specific types.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed.neural_network._activations import ACTIVATIONS as ACTIVATION_TABLE
from skmed.neural_network._activations import activation

Network = list[dict[str, Any]]

#: Activations a network step may carry, by their Keras names.
ACTIVATIONS = tuple(ACTIVATION_TABLE)

#: scikit-learn style names accepted by MedicalMLPClassifier, mapped to Keras names.
ACTIVATION_ALIASES = {
    "identity": "linear",
    "logistic": "sigmoid",
    "relu": "relu",
    "tanh": "tanh",
    "elu": "elu",
    "selu": "selu",
    "silu": "silu",
}


def build_keras_mlp(
    n_features: int,
    n_classes: int,
    hidden_layer_sizes: tuple[int, ...],
    activation: str,
    dropout: float,
    alpha: float,
    batch_normalization: bool,
    seed: int | None = None,
    linear_l2: float | None = None,
    output_activation: str = "softmax",
) -> Any:
    """Build (not compile) the Keras MLP: hidden blocks, then ``n_classes`` outputs with
    ``output_activation`` (the softmax over the classes; linear for the Cox head).

    Each hidden block is Dense -> [BatchNormalization] -> activation -> [Dropout]; with batch
    normalization the dense step has no bias (the normalization's shift replaces it). With a
    ``seed``, every initializer and dropout layer gets its own seed derived from it, so the model
    does not draw from process-wide random state (fits in threads stay reproducible).

    With ``linear_l2`` (and at least one hidden layer) the model also has the linear path: a
    bias-free Dense ``"linear_path"`` from the input to the logits, L2-penalised by ``linear_l2``,
    added to the hidden layers' output (``Add``) before the softmax. The hidden layers' output
    kernel then starts at zero, so the untrained network is exactly its linear path.
    """
    from skmed._backend import import_keras

    keras = import_keras()
    layers = keras.layers
    regularizer = keras.regularizers.L2(alpha) if alpha > 0 else None
    act = ACTIVATION_ALIASES[activation]
    seeds = iter(range(seed, seed + 2 * len(hidden_layer_sizes) + 2)) if seed is not None else None

    def next_seed() -> int | None:
        return next(seeds) if seeds is not None else None

    def dense(units: int, **kwargs: Any) -> Any:
        initializer = keras.initializers.GlorotUniform(seed=next_seed())
        return layers.Dense(
            units, kernel_initializer=initializer, kernel_regularizer=regularizer, **kwargs
        )

    stack: list[Any] = [keras.Input(shape=(n_features,), name="features")]
    for units in hidden_layer_sizes:
        if batch_normalization:
            stack.append(dense(units, use_bias=False))
            stack.append(layers.BatchNormalization())
            stack.append(layers.Activation(act))
        else:
            stack.append(dense(units, activation=act))
        if dropout > 0:
            stack.append(layers.Dropout(dropout, seed=next_seed()))
    if linear_l2 is None or not hidden_layer_sizes:
        stack.append(dense(n_classes, activation=output_activation))
        return keras.Sequential(stack, name="skmed_mlp")  # built once, not once per add()
    inputs = stack[0]
    h = inputs
    for layer in stack[1:]:
        h = layer(h)
    head = layers.Dense(
        n_classes, kernel_initializer="zeros", kernel_regularizer=regularizer, name="head"
    )(h)
    linear = layers.Dense(
        n_classes,
        use_bias=False,
        kernel_initializer="zeros",
        kernel_regularizer=keras.regularizers.L2(linear_l2) if linear_l2 > 0 else None,
        name=LINEAR_PATH,
    )(inputs)
    logits = layers.Add(name="logits")([head, linear])
    outputs = layers.Activation(output_activation, name="proba")(logits)
    return keras.Model(inputs, outputs, name="skmed_mlp")


#: Name of the Dense layer that holds the linear path in a model built by build_keras_mlp.
LINEAR_PATH = "linear_path"


def set_keras_weights(model: Any, network: Network) -> None:
    """Load a :data:`Network` into a model built by :func:`build_keras_mlp` without batch
    normalization (same widths): the dense steps in order, the skip into the linear path."""
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    chain = [layer for layer in dense if layer.name != LINEAR_PATH]
    for layer, step in zip(chain, network, strict=True):
        layer.set_weights([step["kernel"], step["bias"]])
    skip = network[-1].get("skip")
    linear = [layer for layer in dense if layer.name == LINEAR_PATH]
    if (skip is None) != (not linear):
        raise ValueError("The network and the Keras model disagree on the linear path.")
    if linear:
        linear[0].set_weights([skip])


def merge_members(members: list[Network]) -> Network:
    """One network computing the mean output logits of ``members`` (same depth and activations).

    The hidden layers sit side by side: the first layer's kernels are concatenated column-wise,
    deeper kernels form a block-diagonal matrix, and the output kernels are stacked and divided
    by the number of members (as are the biases and the linear paths). The softmax of the mean
    logits is the normalised geometric mean of the members' probabilities.
    """
    if len(members) == 1:
        return members[0]
    from scipy.linalg import block_diag

    k = len(members)
    merged: Network = []
    for i, steps in enumerate(zip(*members, strict=True)):
        kernels = [s["kernel"] for s in steps]
        if i == len(members[0]) - 1:  # the output: mean logits
            kernel = np.vstack(kernels) / k if i > 0 else np.mean(kernels, axis=0)
            bias = np.mean([s["bias"] for s in steps], axis=0)
        else:
            kernel = np.hstack(kernels) if i == 0 else block_diag(*kernels)
            bias = np.concatenate([s["bias"] for s in steps])
        step = _step(kernel, bias, steps[0]["activation"])
        if "skip" in steps[0]:
            skip = np.mean([s["skip"] for s in steps], axis=0)
            step["skip"] = np.ascontiguousarray(skip, dtype=np.float32)
        merged.append(step)
    return merged


def describe_keras(model: Any) -> Network:
    """Read a Keras model's layers into a :data:`Network`.

    Accepts a ``Sequential`` (or a functional model whose layers form one chain) of Dense,
    Dropout, BatchNormalization, Activation and InputLayer layers, trained on any backend.

    Raises
    ------
    ValueError
        If a layer is of another kind (the message names it and lists what is supported), or a
        layer uses an activation or option that has no exact equivalent here.
    """
    steps: Network = []
    pending: list[tuple[np.ndarray, np.ndarray]] = []  # batch-norm affines awaiting a dense step
    skip = None
    # a model of build_keras_mlp with the linear path: the chain, plus Dense "linear_path" from
    # the input, summed by an Add before the softmax
    has_path = any(layer.name == LINEAR_PATH for layer in model.layers) and any(
        type(layer).__name__ == "Add" for layer in model.layers
    )
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in ("InputLayer", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout"):
            continue  # identity at inference
        if has_path and kind == "Dense" and layer.name == LINEAR_PATH:
            skip = np.asarray(layer.get_weights()[0], dtype=np.float32)
            continue
        if has_path and kind == "Add":
            continue  # the head plus the linear path: the skip is attached to the last step
        if kind == "Dense":
            weights = layer.get_weights()
            kernel = np.asarray(weights[0], dtype=np.float64)
            bias = (
                np.asarray(weights[1], dtype=np.float64)
                if layer.use_bias
                else np.zeros(kernel.shape[1])
            )
            for scale, shift in pending:  # an affine before this dense step folds into it
                bias = bias + shift @ kernel
                kernel = scale[:, None] * kernel
            pending.clear()
            steps.append(_step(kernel, bias, _activation_name(layer.activation, layer)))
        elif kind == "BatchNormalization":
            scale, shift = _batchnorm_affine(layer)
            last = steps[-1] if steps else None
            if last is not None and last["activation"] == "linear" and not pending:
                last["kernel"] = (last["kernel"] * scale[None, :]).astype(np.float32)
                last["bias"] = (last["bias"] * scale + shift).astype(np.float32)
            else:
                pending.append((scale, shift))
        elif kind in ("Activation", "ReLU", "Softmax"):
            name = "relu" if kind == "ReLU" else "softmax" if kind == "Softmax" else None
            if kind == "ReLU" and (
                layer.max_value is not None or layer.negative_slope or layer.threshold
            ):
                raise ValueError(
                    f"Layer {layer.name!r} (ReLU) uses max_value/negative_slope/threshold, "
                    "which skmed cannot convert; use a plain ReLU."
                )
            name = name or _activation_name(layer.activation, layer)
            if steps and steps[-1]["activation"] == "linear" and not pending:
                steps[-1]["activation"] = name
            else:
                width = pending[-1][0].size if pending else steps[-1]["bias"].size
                steps.append(_step(np.eye(width), np.zeros(width), name))
        else:
            raise ValueError(
                f"Layer {layer.name!r} of type {kind} is not supported. skmed converts "
                "Sequential MLPs made of Dense, Dropout, BatchNormalization and Activation "
                f"layers (activations: {', '.join(ACTIVATIONS)})."
            )
    for scale, shift in pending:  # trailing batch normalization: a diagonal dense step
        steps.append(_step(np.diag(scale), shift, "linear"))
    if not steps:
        raise ValueError(f"Keras model {model.name!r} has no Dense layer to convert.")
    if skip is not None:
        steps[-1]["skip"] = np.ascontiguousarray(skip)
    return steps


def _step(kernel: np.ndarray, bias: np.ndarray, activation: str) -> dict[str, Any]:
    return {
        "kernel": np.ascontiguousarray(kernel, dtype=np.float32),
        "bias": np.ascontiguousarray(bias, dtype=np.float32),
        "activation": activation,
    }


def _batchnorm_affine(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    if layer.axis not in (-1, [-1]) and list(np.atleast_1d(layer.axis)) != [1]:
        raise ValueError(
            f"Layer {layer.name!r} (BatchNormalization) normalizes axis {layer.axis}; "
            "only the feature axis (-1) is supported."
        )
    gamma = np.asarray(layer.gamma if layer.scale else 1.0, dtype=np.float64)
    beta = np.asarray(layer.beta if layer.center else 0.0, dtype=np.float64)
    mean = np.asarray(layer.moving_mean, dtype=np.float64)
    var = np.asarray(layer.moving_variance, dtype=np.float64)
    scale = gamma / np.sqrt(var + layer.epsilon) * np.ones_like(mean)
    return scale, beta - mean * scale


def _activation_name(fn: Any, layer: Any) -> str:
    name = getattr(fn, "__name__", str(fn))
    name = {"swish": "silu", "sigmoid": "sigmoid"}.get(name, name)
    if name not in ACTIVATIONS:
        raise ValueError(
            f"Layer {layer.name!r} uses activation {name!r}, which skmed cannot convert; "
            f"supported activations: {', '.join(ACTIVATIONS)}."
        )
    return name


def apply_activation(name: str, x: np.ndarray, axis: int = 1) -> np.ndarray:
    """``name``(x) from the activations table, in place where numpy allows; the softmax
    normalises along ``axis``."""
    return activation(name).forward(x, axis)
