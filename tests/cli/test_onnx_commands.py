"""``nn2crn import MODEL.onnx`` (and the deprecated ``import-onnx``), ``export-onnx``, ``compile --denominator`` and ``train --weights int:K --conv``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nn2crn.crn import read_crn
from nn2crn.nn import Layer, Network, load_network, save_network
from nn2crn.nn.network import Conv2d, Flatten, MaxPool2d
from nn2crn.simulate import stable_outputs
from tests.helpers import assert_close_relative, write_inputs_csv


@pytest.fixture
def cnn_model(tmp_path):
    rng = np.random.default_rng(0)
    network = Network(
        (
            Conv2d(rng.integers(-1, 2, (2, 1, 3, 3)), rng.normal(size=2), padding=(1, 1)),
            MaxPool2d((2, 2)),
            Flatten(),
            Layer(rng.integers(-3, 4, (3, 8)) / 3, rng.normal(size=3), "linear"),
        ),
        input_shape=(1, 4, 4),
    )
    path = tmp_path / "cnn.json"
    save_network(network, path)
    return path, network


@pytest.mark.torch
def test_export_then_import_round_trips_and_compiles(run_cli, tmp_path, cnn_model):
    # onnx and onnxruntime are in the test extra: a missing one is a failure, not a skip.
    import onnxruntime as ort

    model_path, network = cnn_model
    onnx_path = tmp_path / "cnn.onnx"
    code, _, err = run_cli("export-onnx", model_path, "-o", onnx_path)
    assert code == 0 and err == f"wrote {onnx_path}: 4 layers, 16 inputs, 3 outputs\n"
    code, _, err = run_cli("export-onnx", model_path, "-o", onnx_path)
    assert code == 2 and "already exists; add --force to overwrite it" in err
    back_path = tmp_path / "back.json"
    code, _, err = run_cli("import", onnx_path, "-o", back_path)
    assert code == 0 and "16 inputs (1, 4, 4), conv2d-maxpool2d-flatten-dense, 3 outputs" in err
    code, _, err = run_cli("import", onnx_path, "-o", back_path)
    assert code == 2 and "already exists; add --force to overwrite it" in err
    code, _, err = run_cli("import-onnx", onnx_path, "-o", back_path, "--force")
    assert code == 0 and err.startswith("note: `nn2crn import-onnx` is deprecated; use `nn2crn import")
    assert load_network(back_path).layers[-1].weight.tolist() == network.layers[-1].weight.tolist()
    crn_path = tmp_path / "cnn.crn"
    assert run_cli("compile", back_path, "-o", crn_path)[0] == 0
    crn = read_crn(crn_path)
    assert crn.outputs[0].scale == 3
    x = np.random.default_rng(1).normal(size=(5, 16))
    expected = ort.InferenceSession(str(onnx_path)).run(None, {"input": x.astype(np.float32)})[0]
    assert_close_relative(stable_outputs(crn, x), expected, rtol=1e-6, magnitude=network.forward_magnitude(x))
    code, out, _ = run_cli("check", crn_path, "--json")
    assert code == 0 and json.loads(out)["max_coefficient"] == 3


def test_import_refusal_is_one_line(run_cli, tmp_path):
    pytest.importorskip("onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00junk")
    code, out, err = run_cli("import", junk, "-o", tmp_path / "out.json")
    assert code == 2 and out == "" and err.startswith("error: ") and "not a readable ONNX model" in err
    assert not (tmp_path / "out.json").exists()
    code, out, err = run_cli("import", junk)
    assert code == 2 and "is read as a network and written as model JSON; give the file with -o" in err
    code, out, err = run_cli("import", junk, "--function", "f", "-o", tmp_path / "out.json")
    assert code == 2 and "--function picks a function of a CRNSimulator .wls/.m file" in err


def test_compile_quantizes_to_a_denominator_and_reports(run_cli, tmp_path):
    rng = np.random.default_rng(2)
    network = Network(
        (
            Layer(rng.normal(size=(3, 2)), rng.normal(size=3), "relu"),
            Layer(rng.normal(size=(2, 3)), np.zeros(2), "linear"),
        )
    )
    model_path = tmp_path / "float.json"
    save_network(network, model_path)
    code, _, err = run_cli("compile", model_path, "-o", tmp_path / "x.crn")
    assert code == 2 and "is not a rational with a denominator <= 1024; quantize" in err
    quantized = tmp_path / "q.json"
    code, _, err = run_cli(
        "compile", model_path, "--denominator", "4", "--quantized-model", quantized, "-o", tmp_path / "q.crn"
    )
    assert code == 0
    assert "quantized to k/4: 12 of 12 weights changed, largest change" in err
    assert "accuracy loss not measured: the model's training record names no dataset" in err
    code, _, err = run_cli(
        "compile", model_path, "--denominator", "1024", "--max-range", "10", "-o", tmp_path / "r.crn"
    )
    assert code == 2 and "beyond the dynamic range 10" in err
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1"], rng.normal(size=(8, 2)))
    code, out, err = run_cli("verify", quantized, "--inputs", inputs)
    assert code == 0, err


@pytest.mark.torch
@pytest.mark.slow
def test_train_int_weights_cnn(run_cli, tmp_path):
    pytest.importorskip("torch")
    output = tmp_path / "cnn.json"
    code, _, err = run_cli(
        "train",
        "mnist",
        "--mnist-source",
        "sample",
        "--no-download",
        "--conv",
        "2",
        "--weights",
        "int:2",
        "--epochs",
        "1",
        "--batch-size",
        "256",
        "-q",
        "-o",
        output,
    )
    assert code == 0, err
    network = load_network(output)
    assert [layer.kind for layer in network.layers] == ["conv2d", "maxpool2d", "flatten", "dense"]
    assert set(np.unique(network.layers[0].weight * 2).tolist()) <= {-2.0, -1.0, 0.0, 1.0, 2.0}
    code, _, err = run_cli("train", "iris", "--weights", "int:0", "-o", tmp_path / "bad.json")
    assert code == 2 and "'int:0': expected binary, ternary or int:K with K >= 1" in err


def test_non_rational_onnx_weights_name_the_flags_that_import_and_quantize_them(run_cli, tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = {"w": np.array([[0.3333, 1.0], [0.0, 1.0]]), "b": np.zeros(2)}
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["input", "w", "b"], ["output"], name="fc", transB=1)],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 2])],
        [numpy_helper.from_array(value.astype(np.float32), name) for name, value in weights.items()],
    )
    onnx_path = tmp_path / "third.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(onnx_path))
    model_path = tmp_path / "third.json"
    code, out, err = run_cli("import", onnx_path, "-o", model_path)
    assert code == 2 and out == "" and not model_path.exists()
    assert err.endswith("or import it with --float-weights and quantize the weights to --denominator D\n"), (
        err
    )
    assert "require_rational" not in err and "denominator=" not in err
    assert run_cli("import", onnx_path, "--float-weights", "-o", model_path)[0] == 0
    code, _, err = run_cli("compile", model_path, "--denominator", "3", "-o", tmp_path / "third.crn")
    assert code == 0, err
