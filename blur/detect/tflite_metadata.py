"""Attach TFLite model metadata to a bare BlazeFace model.

MediaPipe's Tasks API reads the input normalisation from the model's metadata
and refuses models that carry none, as the published BlazeFace files do. This
writes the minimum it needs (an RGB image input normalised with mean 127.5 and
std 127.5, and the two raw output tensors) using the flatbuffer schemas that
mediapipe itself ships, so no other package is needed.
"""

from __future__ import annotations

import flatbuffers
from mediapipe.tasks.metadata import metadata_schema_py_generated as meta
from mediapipe.tasks.metadata import schema_py_generated as tflite

_METADATA_NAME = "TFLITE_METADATA"


def _image_input() -> meta.TensorMetadataT:
    normalisation = meta.NormalizationOptionsT()
    normalisation.mean = [127.5]
    normalisation.std = [127.5]
    unit = meta.ProcessUnitT()
    unit.optionsType = meta.ProcessUnitOptions.NormalizationOptions
    unit.options = normalisation
    properties = meta.ImagePropertiesT()
    properties.colorSpace = meta.ColorSpaceType.RGB
    content = meta.ContentT()
    content.contentPropertiesType = meta.ContentProperties.ImageProperties
    content.contentProperties = properties
    stats = meta.StatsT()
    stats.min, stats.max = [-1.0], [1.0]
    tensor = meta.TensorMetadataT()
    tensor.name = "image"
    tensor.content = content
    tensor.processUnits = [unit]
    tensor.stats = stats
    return tensor


def _feature_output(name: str) -> meta.TensorMetadataT:
    content = meta.ContentT()
    content.contentPropertiesType = meta.ContentProperties.FeatureProperties
    content.contentProperties = meta.FeaturePropertiesT()
    tensor = meta.TensorMetadataT()
    tensor.name = name
    tensor.content = content
    tensor.stats = meta.StatsT()
    return tensor


def with_image_metadata(model: bytes, model_name: str) -> bytes:
    """The model with metadata attached, as bytes the Tasks API accepts."""
    subgraph = meta.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [_image_input()]
    subgraph.outputTensorMetadata = [_feature_output("regressors"), _feature_output("classificators")]
    model_metadata = meta.ModelMetadataT()
    model_metadata.name = model_name
    model_metadata.subgraphMetadata = [subgraph]
    model_metadata.minParserVersion = "1.0.0"
    builder = flatbuffers.Builder(0)
    builder.Finish(model_metadata.Pack(builder), file_identifier=b"M001")

    parsed = tflite.ModelT.InitFromPackedBuf(bytearray(model), 0)
    parsed.metadata = [m for m in (parsed.metadata or []) if m.name != _METADATA_NAME.encode()]
    buffer = tflite.BufferT()
    buffer.data = bytearray(builder.Output())
    parsed.buffers.append(buffer)
    entry = tflite.MetadataT()
    entry.name = _METADATA_NAME
    entry.buffer = len(parsed.buffers) - 1
    parsed.metadata.append(entry)
    out = flatbuffers.Builder(len(model) + 4096)
    out.Finish(parsed.Pack(out), file_identifier=b"TFL3")
    return bytes(out.Output())
