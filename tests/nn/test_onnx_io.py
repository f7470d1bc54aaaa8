"""ONNX import and export against onnxruntime; every refusal names the node and op."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from nn2crn import ModelFileError  # noqa: E402
from nn2crn.compile import compile_network  # noqa: E402
from nn2crn.nn import Layer, Network  # noqa: E402
from nn2crn.nn.onnx_io import read_onnx, write_onnx  # noqa: E402
from nn2crn.nn.torch import IntLinear, TernaryConv2d, TernaryLinear  # noqa: E402
from nn2crn.simulate import stable_outputs  # noqa: E402
from tests.helpers import assert_close_relative  # noqa: E402

pytestmark = pytest.mark.torch


def export(module, example, path):
    torch.onnx.export(
        module.eval(),
        (example,),
        str(path),
        dynamo=False,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    return path


def onnxruntime_outputs(path, x):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]


# The dynamo exporter needs onnxscript, which is not a dependency; the TorchScript one
# emits deprecation warnings from torch's own internals.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torch_to_onnx_to_crn_equals_onnxruntime(tmp_path):
    torch.manual_seed(1)
    module = torch.nn.Sequential(
        TernaryConv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Dropout(0.2),
        IntLinear(4 * 4 * 4, 6, levels=3),
        torch.nn.LeakyReLU(0.125),
        TernaryLinear(6, 3),
        torch.nn.Hardtanh(-4.0, 4.0),
    )
    x = torch.randn(16, 1, 8, 8)
    path = export(module, x[:1], tmp_path / "cnn.onnx")
    network = read_onnx(path)
    assert network.input_shape == (1, 8, 8)
    crn = compile_network(network)
    flat = x.numpy().reshape(16, -1).astype(np.float64)
    expected = onnxruntime_outputs(path, x.numpy())
    # onnxruntime computes in float32; the CRN is exact in float64.
    assert_close_relative(
        stable_outputs(crn, flat), expected, rtol=1e-6, magnitude=network.forward_magnitude(flat)
    )
    back = write_onnx(network, tmp_path / "back.onnx") or tmp_path / "back.onnx"
    np.testing.assert_array_equal(onnxruntime_outputs(back, x.numpy().reshape(16, -1)), expected)


def graph_model(nodes, initializers, input_shape=("batch", 2), output_shape=("batch", 2)):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(output_shape))],
        [
            numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)
            for name, value in initializers.items()
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def save(model, path):
    onnx.save(model, str(path))
    return path


def test_batchnorm_after_gemm_is_folded(tmp_path):
    nodes = [
        helper.make_node("Gemm", ["input", "w", "b"], ["z"], name="fc", transB=1),
        helper.make_node(
            "BatchNormalization", ["z", "g", "beta", "mean", "var"], ["n"], name="bn", epsilon=0.0
        ),
        helper.make_node("Relu", ["n"], ["output"], name="relu"),
    ]
    values = {
        "w": [[1, -1], [0, 1]],
        "b": [0.5, 0],
        "g": [1, 1],
        "beta": [0.25, -1],
        "mean": [1, 0],
        "var": [4, 1],
    }
    path = save(graph_model(nodes, values), tmp_path / "bn.onnx")
    network = read_onnx(path)
    assert len(network.layers) == 1 and network.layers[0].activation == "relu"
    np.testing.assert_array_equal(network.layers[0].weight, [[0.5, -0.5], [0, 1]])
    x = np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32)
    np.testing.assert_allclose(
        stable_outputs(compile_network(network), x), onnxruntime_outputs(path, x), rtol=1e-6
    )


@pytest.mark.parametrize(
    ("nodes", "values", "message"),
    [
        (
            [helper.make_node("Sigmoid", ["input"], ["output"], name="squash")],
            {},
            r"node squash \(Sigmoid\): unsupported op; nn2crn compiles Gemm/MatMul\+Add, Conv.*replace it",
        ),
        (
            [helper.make_node("BatchNormalization", ["input", "g", "b", "m", "v"], ["output"], name="bn0")],
            {"g": [1, 1], "b": [0, 0], "m": [0, 0], "v": [1, 1]},
            r"node bn0 \(BatchNormalization\): cannot be folded: it does not directly follow a Gemm or Conv",
        ),
        (
            [
                helper.make_node("Gemm", ["input", "w", "b"], ["z"], name="fc", transB=1),
                helper.make_node("BatchNormalization", ["z", "g", "b", "m", "v"], ["output"], name="bn1"),
            ],
            {"w": np.eye(2), "b": [0, 0], "g": [1, 1], "m": [0, 0], "v": [1, 1]},
            r"node bn1 \(BatchNormalization\): weight 0\.99999.* is not a rational with a denominator <= 1024 after "
            r"folding BatchNorm; retrain with TernaryLinear",
        ),
        (
            [helper.make_node("Gemm", ["input", "w", "b"], ["output"], name="fc", transB=1)],
            {"w": [[0.3333, 1], [0, 1]], "b": [0, 0]},
            r"node fc \(Gemm\): weight 0\.33329.* is not a rational.*or import it with require_rational=False and "
            r"quantize the weights to denominator=D$",
        ),
        (
            [helper.make_node("Add", ["input", "input"], ["output"], name="twice")],
            {},
            r"node twice \(Add\): takes \['input', 'input'\], but only a single chain of layers from input is supported",
        ),
        (
            [
                helper.make_node("MatMul", ["input", "w"], ["z"], name="fc"),
                helper.make_node("Add", ["z", ""], ["output"], name="bias"),
            ],
            {"w": np.eye(2)},
            r"node bias \(Add\): needs a constant bias as its second input",
        ),
        (
            [helper.make_node("Clip", ["input", "lo"], ["output"], name="clip")],
            {"lo": -1.0},
            r"node clip \(Clip\): Clip needs finite bounds \(or min 0 only\), got \[-1\.0, inf\]",
        ),
    ],
)
def test_refusals_name_the_node_and_op(tmp_path, nodes, values, message):
    path = save(graph_model(nodes, values), tmp_path / "bad.onnx")
    with pytest.raises(ModelFileError, match=message):
        read_onnx(path)


def test_malformed_tensors_are_refused_not_crashed_on(tmp_path):
    # Fuzzing findings: numpy and the reference evaluator used to raise bare ValueError/TypeError.
    gemm = [helper.make_node("Gemm", ["input", "w", "b"], ["output"], name="fc", transB=1)]
    too_long_bias = save(graph_model(gemm, {"w": np.eye(2), "b": [0, 0, 0]}), tmp_path / "bias.onnx")
    with pytest.raises(ModelFileError, match=r"bias\.onnx: the graph's tensors have inconsistent shapes"):
        read_onnx(too_long_bias)
    model = graph_model(gemm, {"w": np.eye(2), "b": [0, 0]})
    model.graph.initializer[0].dims[:] = [5, 8]  # 4 values stored, 40 declared
    with pytest.raises(ModelFileError, match=r"initializer 'w' is malformed"):
        read_onnx(save(model, tmp_path / "dims.onnx"))
    model = graph_model(gemm, {"w": np.eye(2), "b": [0, 0]})
    model.graph.initializer[0].data_type = 536870911  # an atheris finding: onnx raised KeyError
    with pytest.raises(ModelFileError, match=r"initializer 'w' has unknown element type 536870911"):
        read_onnx(save(model, tmp_path / "dtype.onnx"))
    model = graph_model(gemm, {"w": np.eye(2), "b": [0, 0]})
    external = model.graph.initializer[1]
    external.data_location = TensorProto.EXTERNAL  # an atheris finding: no location given
    external.ClearField("float_data")
    external.ClearField("raw_data")
    with pytest.raises(
        ModelFileError, match=r"external\.onnx: not a readable ONNX model .*should not be empty"
    ):
        read_onnx(save(model, tmp_path / "external.onnx"))
    folded = [
        helper.make_node("Gemm", ["w"], ["w2"], name="lonely"),  # a constant node missing an input
        *gemm,
    ]
    with pytest.raises(
        ModelFileError, match=r"node lonely \(Gemm\): its constant inputs cannot be evaluated"
    ):
        read_onnx(save(graph_model(folded, {"w": np.eye(2), "b": [0, 0]}), tmp_path / "fold.onnx"))


def test_float_weights_can_be_kept_for_quantization(tmp_path):
    nodes = [helper.make_node("Gemm", ["input", "w", "b"], ["output"], name="fc", transB=1)]
    path = save(graph_model(nodes, {"w": [[0.3333, 1], [0, 1]], "b": [0, 0]}), tmp_path / "float.onnx")
    network = read_onnx(path, require_rational=False)
    assert network.layers[0].weight[0, 0] == pytest.approx(0.3333)


def test_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x00\x01not a protobuf")
    with pytest.raises(ModelFileError, match="junk.onnx: not a readable ONNX model"):
        read_onnx(path)
    with pytest.raises(ModelFileError, match="absent.onnx: no such file"):
        read_onnx(tmp_path / "absent.onnx")


def test_export_refuses_to_replace_a_device_or_symlink(tmp_path):
    network = Network((Layer(np.eye(2), np.zeros(2), "linear"),))
    link = tmp_path / "link.onnx"
    link.symlink_to(tmp_path / "target.onnx")
    with pytest.raises(ModelFileError, match="is not a regular file"):
        write_onnx(network, link)
