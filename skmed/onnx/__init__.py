"""Export a fitted MedicalMLPClassifier, or a whole pipeline ending in one, to ONNX.

skl2onnx and onnx are imported here, never by ``import skmed``. :func:`register` adds skmed's
converter to skl2onnx's registry; :func:`skmed.to_onnx` calls it, so it is needed only to use
``skl2onnx.to_onnx`` directly. :func:`check_parity` compares an exported graph with the Python
model on any rows.
"""

from skmed.onnx._converter import register
from skmed.onnx._export import to_onnx
from skmed.onnx._metadata import FORMAT
from skmed.onnx._parity import check_parity

__all__ = ["FORMAT", "check_parity", "register", "to_onnx"]
