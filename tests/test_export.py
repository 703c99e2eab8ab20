"""`gymnos-edge export`: every format of a tiny run, self-validated, parity with the shared vectors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from gymnos_edge.cli.export import export_command
from gymnos_edge.common.errors import UserError
from gymnos_edge.export.coreml import convert as coreml_convert
from gymnos_edge.export.coreml.convert import CoreMLCompression
from gymnos_edge.export.coreml.spec import float16_smoothing_ops, spec_problems
from gymnos_edge.export.exporter import ExportOptions, ExportValidationError, export_run
from gymnos_edge.common.contract import Quantization
from gymnos_edge.export.formats import FORMATS, STATE_ATOL, markdown_table, tflite_format
from gymnos_edge.export.tflite.convert import convert_tflite
from gymnos_edge.export.tflite.flatbuffer import operator_names, preprocessing_tensor_names, smoothing_tensor_names
from gymnos_edge.export.validate import Check, Validation, reference_vectors
from gymnos_edge.training.classifier import PREPROCESSING
from gymnos_edge.sets.smoothing import SmoothingParams, initial_state, state_fields, state_index, state_size, step
from gymnos_edge.common.contract import SERVING, SMOOTH_STEP
from gymnos_edge.inference.litert_model import TFLiteModel
from helpers import LABELS, make_untrained_run, random_images, stub_classifier, stub_metadata

VECTOR_FILES = sorted((Path(__file__).parent / "vectors" / "smoothing").glob("*.json"))


def load_vector(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def runs_with_the_tiny_model(path: Path) -> bool:
    vector = load_vector(path)
    return (
        len(vector["labels"]) == len(LABELS)
        and not vector["rest_class"]
        and SmoothingParams.from_dict(vector["params"]) == SmoothingParams()
    )


TINY_VECTORS = [path for path in VECTOR_FILES if runs_with_the_tiny_model(path)]
# smooth_step takes probabilities alone; a rep signal's vectors are replayed by the pose graphs' tests instead.
ON_PROBS = [path for path in VECTOR_FILES if "rep_signal" not in load_vector(path)]
QUANTIZATIONS = [q.value for q in Quantization]
runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("export")(export_command)
    app.callback()(lambda: None)
    return app


# Its users are marked slow: converting every format, Core ML included, costs a minute; the fast
# tier checks the TFLite path on stub files and on one fp32 export instead.
@pytest.fixture(scope="module")
def exported(tmp_path_factory, demo_manifest):
    """A tiny run (32 px, gap head) trained on nothing, exported to every format with the defaults."""
    root = tmp_path_factory.mktemp("export")
    run = make_untrained_run(root / "runs" / "tiny", manifest=demo_manifest)
    options = ExportOptions(
        quantizations=tuple(Quantization), coreml=True, out=root / "export" / "tiny", calibration_frames=24
    )
    return export_run(run.folder, options)


# ---------------------------------------------------------------- artifacts


@pytest.mark.slow
def test_export_folder_holds_every_artifact_and_the_metadata_the_app_reads(exported):
    folder = exported.folder
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "model_fp32.tflite", "model_fp16.tflite", "model_dynamic.tflite", "model_int8.tflite",
        "GymnosEdge.mlpackage", "labels.txt", "metadata.json", "export_report.json",
    }  # fmt: skip
    assert (folder / "labels.txt").read_text() == "overhead_press\nsquat\n"
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["labels"] == list(LABELS) and meta["rest_label"] == "rest"
    assert meta["image_size"] == 32 and meta["resize"] == "squash" and meta["preprocessing"] == PREPROCESSING
    assert meta["every_s"] == meta["smoothing"]["every_s"] == 0.2
    assert meta["state_size"] == state_size(2) == 12 and meta["initial_state"] == initial_state(2).tolist()
    assert meta["state_fields"] == state_fields(2) and meta["state_fields"]["reps"] == 10
    assert set(meta["smoothing"]) == {"every_s", "tau_s", "enter", "exit", "floor", "min_set_s", "min_rest_s",
                                      "rep_tau_s", "rep_hysteresis", "min_rep_s", "rep_gain_tau_s"}  # fmt: skip
    assert meta["model_file"] == "GymnosEdge.mlpackage"
    assert meta["inputs"] == {"image": "image", "state": "state_in"}
    assert meta["outputs"] == {"probs": "probs", "smoothed": "smoothed", "label": "label", "next_state": "next_state"}
    assert meta["run"] == "tiny" and meta["package_version"] and meta["created"]
    assert [m["file"] for m in meta["models"]] == [row.file for row in FORMATS]
    for model in meta["models"]:
        assert model["size_bytes"] > 0 and model["validation"]["ok"], model
    sizes = {m["format"]: m["size_bytes"] for m in meta["models"]}
    assert sizes["tflite-int8"] < sizes["tflite-fp16"] < sizes["tflite-fp32"] and sizes["coreml"] < sizes["tflite-fp32"]
    report = json.loads((folder / "export_report.json").read_text())
    assert report["calibration"]["frames"] == 24 and report["validation_frames"] == "manifest.csv"


@pytest.mark.slow
def test_every_tflite_has_both_signatures_and_builtin_ops_only(exported):
    for row in FORMATS[:4]:
        path = exported.folder / row.file
        model = TFLiteModel(path)
        signatures = model._interpreter.get_signature_list()
        assert sorted(signatures[SERVING]["inputs"]) == ["image", "state_in"]
        assert sorted(signatures[SERVING]["outputs"]) == ["label", "next_state", "probs", "smoothed"]
        assert sorted(signatures[SMOOTH_STEP]["inputs"]) == ["probs", "state_in"]
        assert sorted(signatures[SMOOTH_STEP]["outputs"]) == ["label", "next_state", "smoothed"]
        ops = operator_names(path.read_bytes())
        assert not [op for op in ops if op.startswith("Flex") or not op.isupper()], ops
        assert model.quantization == row.quantization


@pytest.mark.slow
def test_validation_results_are_within_the_documented_tolerances(exported):
    for validation in exported.validations:
        assert validation.ok, validation
        probabilities = validation.check("probabilities")
        row = next(r for r in FORMATS if r.key == validation.format)
        if probabilities is not None:
            assert probabilities.value <= row.prob_atol
    assert [v.format for v in exported.validations] == [row.key for row in FORMATS]


# ---------------------------------------------------------------- shared vectors through the exported files


@pytest.mark.slow
@pytest.mark.parametrize("quantization", QUANTIZATIONS)
@pytest.mark.parametrize("path", TINY_VECTORS, ids=lambda p: p.stem)
def test_shared_vectors_replay_exactly_through_the_exported_file(exported, quantization, path):
    """The vectors with the run's classes and parameters; the others go through the stub exports below."""
    model = TFLiteModel(exported.folder / f"model_{quantization}.tflite")
    assert_replays(model, load_vector(path))


def test_most_shared_vectors_run_with_the_tiny_model():
    assert len(TINY_VECTORS) >= 5, "the run's default parameters should match most shared vectors"


def test_export_validation_uses_the_shared_vectors_themselves():
    vectors, notes = reference_vectors(2, SmoothingParams())
    by_name = {v.name: v for v in vectors}
    plain = [p for p in VECTOR_FILES if len(load_vector(p)["labels"]) == 2 and not load_vector(p)["rest_class"]]
    assert notes == () and len(vectors) == len(plain)
    with_rest, _ = reference_vectors(3, SmoothingParams(), rest_class=True)
    assert {v.name for v in with_rest} == {p.stem for p in ON_PROBS if load_vector(p)["rest_class"]}
    for path in TINY_VECTORS:
        vector = load_vector(path)
        np.testing.assert_array_equal(by_name[path.stem].probs, np.asarray(vector["probs"], np.float32))
        np.testing.assert_array_equal(by_name[path.stem].states, np.asarray(vector["states"], np.float32))


@pytest.fixture(scope="module")
def stub_exports(tmp_path_factory):
    """One small export per (classes, parameters, quantization) the shared vectors use, made on demand."""
    folder = tmp_path_factory.mktemp("stubs")
    made: dict[tuple, TFLiteModel] = {}

    def export(labels: tuple[str, ...], params: SmoothingParams, quantization: str, rest_class: bool) -> TFLiteModel:
        key = (labels, params, quantization, rest_class)
        if key not in made:
            classifier = stub_classifier(len(labels) + rest_class)
            calibration = random_images(16)
            metadata = stub_metadata(labels, params, quantization, rest_class)
            data = convert_tflite(classifier, params, quantization, calibration, metadata, rest_class)
            path = folder / f"stub_{len(made)}.tflite"
            path.write_bytes(data)
            made[key] = TFLiteModel(path)
        return made[key]

    return export


@pytest.mark.slow
@pytest.mark.parametrize("quantization", QUANTIZATIONS)
@pytest.mark.parametrize("path", ON_PROBS, ids=lambda p: p.stem)
def test_every_shared_vector_replays_exactly_in_every_quantization(stub_exports, quantization, path):
    vector = load_vector(path)
    params = SmoothingParams.from_dict(vector["params"])
    model = stub_exports(tuple(vector["labels"]), params, quantization, vector["rest_class"])
    assert_replays(model, vector)
    assert_serving_path_steps_exactly(model, vector)


def assert_replays(model: TFLiteModel, vector: dict) -> None:
    state = np.asarray(vector["initial_state"], np.float32)
    labels, states = [], []
    for probs in np.asarray(vector["probs"], np.float32):
        result = model.smooth_step(probs, state)
        state = result.next_state
        labels.append(result.label)
        states.append(state)
    assert labels == vector["labels_out"]
    np.testing.assert_allclose(np.stack(states), np.asarray(vector["states"], np.float32), atol=STATE_ATOL, rtol=0)
    reps = np.stack(states)[:, state_index(len(vector["probs"][0]), "reps")]
    assert reps.tolist() == vector["reps_out"], "the file counts reps differently from the reference"


def assert_serving_path_steps_exactly(model: TFLiteModel, vector: dict) -> None:
    """The whole graph, fed the vector's states, steps them exactly as the reference does its own probs."""
    params = SmoothingParams.from_dict(vector["params"])
    states = np.asarray([vector["initial_state"], *vector["states"]], np.float32)[::5]
    images = random_images(len(states), seed=1)
    for image, state in zip(images, states):
        result = model.step(image, state)
        expected_state, _, expected_label = step(state[None], result.probs[None], params, rest_class=vector["rest_class"])
        assert result.label == int(expected_label[0])
        np.testing.assert_allclose(result.next_state, expected_state[0], atol=STATE_ATOL, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("quantization", ["fp16", "int8"])
def test_no_smoothing_tensor_is_quantized(exported, quantization):
    """Structural proof: every tensor the smoothing step reads or writes stays float32 (or int32/bool)."""
    from ai_edge_litert import schema_py_generated as schema

    data = (exported.folder / f"model_{quantization}.tflite").read_bytes()
    smoothing = set(smoothing_tensor_names(data))
    allowed = {schema.TensorType.FLOAT32, schema.TensorType.INT32, schema.TensorType.BOOL}
    root = schema.Model.GetRootAs(data, 0)
    checked = 0
    for s in range(root.SubgraphsLength()):
        subgraph = root.Subgraphs(s)
        for o in range(subgraph.OperatorsLength()):
            operator = subgraph.Operators(o)
            outputs = [subgraph.Tensors(t) for t in operator.OutputsAsNumpy()]
            if not any(t.Name().decode() in smoothing for t in outputs):
                continue
            for t in [*operator.InputsAsNumpy(), *operator.OutputsAsNumpy()]:
                if t >= 0:
                    assert subgraph.Tensors(t).Type() in allowed, subgraph.Tensors(t).Name()
                    checked += 1
    assert checked > 50


def test_int8_keeps_the_preprocessing_in_float32(stub_exports):
    """Quantized, the channel flip copies int8 bytes between different scales: the classifier saw another image."""
    from ai_edge_litert import schema_py_generated as schema

    model = stub_exports(LABELS, SmoothingParams(), "int8", False)
    data = model.path.read_bytes()
    preprocessing = set(preprocessing_tensor_names(data))
    by_code = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    root = schema.Model.GetRootAs(data, 0)
    subgraph = root.Subgraphs(0)
    producers = set()
    for o in range(subgraph.OperatorsLength()):
        operator = subgraph.Operators(o)
        outputs = [subgraph.Tensors(t) for t in operator.OutputsAsNumpy()]
        if any(t.Name().decode() in preprocessing for t in outputs):
            code = root.OperatorCodes(operator.OpcodeIndex())
            producers.add(by_code[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())])
            assert all(t.Type() == schema.TensorType.FLOAT32 for t in outputs)
    assert {"REVERSE_V2", "SUB"} <= producers

    images = random_images(16, seed=5)  # as calibrated
    expected = stub_classifier(len(LABELS)).predict_on_batch(images.astype(np.float32))
    probs = np.stack([model.step(image, model.initial_state()).probs for image in images])
    np.testing.assert_allclose(probs, expected, atol=0.05, rtol=0)


# ---------------------------------------------------------------- Core ML


@pytest.mark.slow
def test_coreml_package_spec(exported):
    import coremltools as ct

    path = exported.folder / "GymnosEdge.mlpackage"
    meta = json.loads((exported.folder / "metadata.json").read_text())
    assert spec_problems(path, meta) == []
    spec = ct.utils.load_spec(str(path))
    assert spec.specificationVersion <= 7 and spec.WhichOneof("Type") == "mlProgram"
    image = spec.description.input[0]
    assert image.name == "image" and image.type.imageType.width == image.type.imageType.height == 32
    assert image.type.imageType.colorSpace == ct.proto.FeatureTypes_pb2.ImageFeatureType.BGR
    assert [o.name for o in spec.description.output] == ["probs", "smoothed", "label", "next_state"]
    user = dict(spec.description.metadata.userDefined)
    assert json.loads(user["labels"]) == list(LABELS)
    assert json.loads(user["smoothing"]) == meta["smoothing"] and float(user["every_s"]) == 0.2
    assert user["image_size"] == "32" and user["resize"] == "squash"
    assert spec.description.metadata.author and spec.description.metadata.license and spec.description.metadata.shortDescription
    assert float16_smoothing_ops(spec) == []


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # float16 everywhere, on purpose
def test_coreml_spec_check_catches_a_float16_smoothing_step(tiny_run, monkeypatch, tmp_path):
    from gymnos_edge.export.artifacts import base_metadata, model_metadata
    from gymnos_edge.export.formats import coreml_format

    monkeypatch.setattr(coreml_convert, "_in_float16", lambda op: True)
    meta = model_metadata(base_metadata(tiny_run.metadata), coreml_format())
    mlmodel = coreml_convert.convert_coreml(tiny_run.load_model(), tiny_run.metadata.smoothing_params, meta)
    path = coreml_convert.save_coreml(mlmodel, tmp_path / "half.mlpackage")
    assert any("computes in float16" in problem for problem in spec_problems(path, meta))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "darwin", reason="Core ML predictions need macOS; the spec is checked everywhere")
def test_coreml_parity_on_macos(exported):
    validation = next(v for v in exported.validations if v.format == "coreml")
    assert {c.name for c in validation.checks} == {"spec", "probabilities", "serving path"}
    assert validation.ok


@pytest.mark.slow
def test_coreml_weight_compression_keeps_the_smoothing_step_float32(tiny_run, tmp_path):
    options = ExportOptions(quantizations=(), out=tmp_path / "out", compression=CoreMLCompression(palettize_bits=4))
    result = export_run(tiny_run.folder, options)
    (model,) = result.models
    assert model.quantization == "palettized4" and model.validation["ok"]
    float32_bytes = 4 * sum(int(np.prod(w.shape)) for w in tiny_run.load_model().weights)
    assert model.size_bytes < 0.2 * float32_bytes


def test_coreml_compression_options_are_checked():
    with pytest.raises(UserError, match="1, 2, 3, 4, 6, 8"):
        CoreMLCompression(palettize_bits=5)
    with pytest.raises(UserError, match="not both"):
        CoreMLCompression(palettize_bits=4, quantize_weights="int8")
    assert CoreMLCompression(palettize_bits=4).name == "palettized 4-bit weights"
    assert [CoreMLCompression().key, CoreMLCompression(palettize_bits=6).key] == ["fp16", "palettized6"]


# ---------------------------------------------------------------- bad input, atomicity


def test_bad_inputs_are_clear_user_errors(tmp_path, tiny_run):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no metadata.json"):
        export_run(tmp_path / "empty", ExportOptions(out=tmp_path / "out"))
    with pytest.raises(UserError, match="unknown TFLite quantization 'int4'.*fp32, fp16, dynamic, int8"):
        ExportOptions(quantizations=("int4",))
    with pytest.raises(UserError, match="nothing to export"):
        ExportOptions(quantizations=(), coreml=False)
    with pytest.raises(UserError, match="int8 quantization calibrates on real frames.*--calibration"):
        export_run(tiny_run.folder, ExportOptions(quantizations=("int8",), coreml=False, out=tmp_path / "out"))
    with pytest.raises(UserError, match="calibration manifest not found"):
        export_run(tiny_run.folder, ExportOptions(out=tmp_path / "out", calibration=tmp_path / "nope.csv"))
    (tmp_path / "taken").mkdir()
    with pytest.raises(UserError, match="already exists; pass --force"):
        export_run(tiny_run.folder, ExportOptions(out=tmp_path / "taken"))
    assert not (tmp_path / "out").exists()


def test_corrupt_keras_file_is_a_user_error(tmp_path, tiny_run):
    tiny_run.model_path.write_bytes(b"not a zip")
    with pytest.raises(UserError, match="the model file is corrupt"):
        export_run(tiny_run.folder, ExportOptions(out=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_failed_validation_leaves_nothing(tmp_path, tiny_run, monkeypatch):
    import gymnos_edge.export.exporter as exporter

    def failing(path, fmt, reference, num_threads=None):
        return Validation(fmt.key, path.name, (Check("probabilities", False, "max |Δp| 0.5 (limit 1e-4)", 0.5, 1e-4),))

    monkeypatch.setattr(exporter, "validate_tflite", failing)
    out = tmp_path / "export" / "tiny"
    with pytest.raises(ExportValidationError, match="tflite-fp32: max .Δp. 0.5") as raised:
        export_run(tiny_run.folder, ExportOptions(coreml=False, out=out, validation_frames=2))
    assert not raised.value.validations[0].ok
    assert leftovers(out.parent) == []


@pytest.mark.slow
def test_failed_conversion_leaves_nothing_and_force_keeps_the_old_export_until_success(tmp_path, tiny_run, monkeypatch):
    out = tmp_path / "export" / "tiny"
    out.mkdir(parents=True)
    (out / "old.txt").write_text("previous export")
    (out / "metadata.json").write_text("{}")

    def broken(*args, **kwargs):
        raise RuntimeError("converter crashed")

    monkeypatch.setattr(coreml_convert, "convert_coreml", broken)
    with pytest.raises(RuntimeError, match="converter crashed"):
        export_run(tiny_run.folder, ExportOptions(out=out, force=True, validate=False))
    assert leftovers(out.parent) == ["tiny"] and leftovers(out) == ["metadata.json", "old.txt"]


# ---------------------------------------------------------------- command line


@pytest.mark.slow
def test_cli_exports_validates_and_prints_the_next_commands(tmp_path, tiny_run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (tmp_path / "runs" / "latest").resolve() == tiny_run.folder  # what `export` reads with no run given
    result = runner.invoke(cli(), ["export", "--coreml"])
    assert result.exit_code == 0, result.output
    assert "GymnosEdge.mlpackage" in result.output and "only the spec was checked" in result.output
    assert "gymnos-edge bench export/tiny" in result.output
    assert (tmp_path / "export" / "tiny" / "GymnosEdge.mlpackage").is_dir()
    result = runner.invoke(cli(), ["export", "--tflite"])
    assert result.exit_code == 1 and "already exists; pass --force" in result.output
    result = runner.invoke(cli(), ["export", "--tflite", "--force"])
    assert result.exit_code == 0, result.output
    assert "model_fp32.tflite" in result.output and "exact" in result.output
    assert "gymnos-edge predict VIDEO --model export/tiny/model_fp32.tflite" in result.output
    result = runner.invoke(cli(), ["export", "--force", "--no-validate", "--quantize", "dynamic"])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output, result.output
    assert leftovers(tmp_path / "export" / "tiny") == ["export_report.json", "labels.txt", "metadata.json",
                                                       "model_dynamic.tflite"]  # fmt: skip


def test_cli_usage_and_user_errors(tmp_path, tiny_run):
    result = runner.invoke(cli(), ["export", str(tiny_run.folder), "--quantize", "int4"])
    assert result.exit_code == 2 and "int4" in result.output
    result = runner.invoke(cli(), ["export", str(tmp_path / "missing"), "--tflite"])
    assert result.exit_code == 1 and "no such run folder" in result.output
    result = runner.invoke(cli(), ["export", str(tiny_run.folder), "--quantize", "int8", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "--calibration" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli(), ["export", str(tiny_run.folder), "--palettize", "5"])
    assert result.exit_code == 1 and "--palettize takes" in result.output


def test_formats_table_drives_the_docs():
    table = markdown_table()
    for row in FORMATS:
        assert row.file in table and row.flag in table
    assert tflite_format("int8").needs_calibration and not tflite_format(Quantization.fp16).needs_calibration


# ---------------------------------------------------------------- full size


@pytest.mark.slow
def test_seed_architecture_exports_at_full_size(tmp_path, demo_manifest):
    """224 px, Flatten head (the original architecture): fp32 and int8 TFLite and Core ML, all validated."""
    run = make_untrained_run(tmp_path / "runs" / "seed", image_size=224, head="flatten", manifest=demo_manifest)
    options = ExportOptions(
        quantizations=(Quantization.fp32, Quantization.int8), out=tmp_path / "export", calibration_frames=16,
        validation_frames=8,
    )  # fmt: skip
    result = export_run(run.folder, options)
    assert all(v.ok for v in result.validations), [v.to_dict() for v in result.validations]
    sizes = {m.format: m.size_bytes for m in result.models}
    assert sizes["tflite-int8"] < 0.3 * sizes["tflite-fp32"]
    assert TFLiteModel(result.folder / "model_int8.tflite").image_size == 224
