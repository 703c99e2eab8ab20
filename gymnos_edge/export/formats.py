"""The one table of export formats.

Each row drives the `export` command's flags, the file written, whether frames
are needed for calibration, what the self-validation accepts, the README's
table and the benchmark. Adding a format is one row here plus one converter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from gymnos_edge.common.contract import Quantization
from gymnos_edge.common.errors import UserError

COREML_PACKAGE = "GymnosEdge.mlpackage"
COREML_PALETTE_BITS = (1, 2, 3, 4, 6, 8)  # what Core ML's lookup-table weights support

# The smoothing state runs in float32 in every format, so it must match the Python
# reference to float32 rounding, whatever happens to the classifier's weights.
STATE_ATOL = 1e-5


class Runtime(str, Enum):
    tflite = "tflite"
    coreml = "coreml"


@dataclass(frozen=True)
class ExportFormat:
    """One row of the table."""

    key: str
    runtime: Runtime
    quantization: str
    flag: str
    file: str
    needs_calibration: bool
    platforms: str
    # Largest |Δ probability| against the Keras model that validation accepts: float32 rounding for
    # fp32, half-precision weights for fp16, 8-bit weights (and activations) for dynamic and int8,
    # float16 compute through 13 convolutions for Core ML. The smoothing step is held to STATE_ATOL.
    prob_atol: float
    description: str


FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat(
        key="tflite-fp32",
        runtime=Runtime.tflite,
        quantization=Quantization.fp32.value,
        flag="--tflite",
        file="model_fp32.tflite",
        needs_calibration=False,
        platforms="Android, iOS (LiteRT), Linux, macOS, Windows",
        prob_atol=1e-4,
        description="float32 throughout; the reference every other format is compared with",
    ),
    ExportFormat(
        key="tflite-fp16",
        runtime=Runtime.tflite,
        quantization=Quantization.fp16.value,
        flag="--tflite --quantize fp16",
        file="model_fp16.tflite",
        needs_calibration=False,
        platforms="Android (GPU delegate), iOS (LiteRT), desktop",
        prob_atol=1e-2,
        description="classifier weights stored as float16 (half the size), expanded to float32 at load",
    ),
    ExportFormat(
        key="tflite-dynamic",
        runtime=Runtime.tflite,
        quantization=Quantization.dynamic.value,
        flag="--tflite --quantize dynamic",
        file="model_dynamic.tflite",
        needs_calibration=False,
        platforms="Android, iOS (LiteRT), desktop (CPU)",
        prob_atol=0.1,
        description="int8 weights, activations quantized on the fly; no calibration needed",
    ),
    ExportFormat(
        key="tflite-int8",
        runtime=Runtime.tflite,
        quantization=Quantization.int8.value,
        flag="--tflite --quantize int8",
        file="model_int8.tflite",
        needs_calibration=True,
        platforms="Android (CPU, NNAPI), iOS (LiteRT), desktop (CPU)",
        prob_atol=0.2,
        description="int8 weights and activations calibrated on manifest frames; float32 input and output",
    ),
    ExportFormat(
        key="coreml",
        runtime=Runtime.coreml,
        quantization="fp16",
        flag="--coreml",
        file=COREML_PACKAGE,
        needs_calibration=False,
        platforms="iOS 16+ (iPhone 8 and later), macOS 13+",
        prob_atol=5e-2,
        description="ML Program; classifier in float16 (Neural Engine), smoothing in float32",
    ),
)


def tflite_format(quantization: Quantization | str) -> ExportFormat:
    """The row of a TFLite quantization, or a clear error naming the known ones."""
    value = quantization.value if isinstance(quantization, Quantization) else str(quantization)
    for row in FORMATS:
        if row.runtime is Runtime.tflite and row.quantization == value:
            return row
    known = ", ".join(q.value for q in Quantization)
    raise UserError(f"unknown TFLite quantization {value!r}; choose one of {known}")


def coreml_format() -> ExportFormat:
    return next(row for row in FORMATS if row.runtime is Runtime.coreml)


def markdown_table() -> str:
    """The table as Markdown, for the README and `export --help`."""
    lines = [
        "| format | flag | file | calibration | runs on | validation: max \\|Δp\\| |",
        "|---|---|---|---|---|---|",
    ]
    for row in FORMATS:
        lines.append(
            f"| {row.key} | `{row.flag}` | `{row.file}` | {'frames of a manifest' if row.needs_calibration else '—'} "
            f"| {row.platforms} | {row.prob_atol:g} |"
        )
    return "\n".join(lines)
