"""Manual cross-language check of the MLflow `onnx` flavor against a running Strata server.

Public MLflow API only. Usage (see README.md in this folder):

    python3 python_onnx_roundtrip.py log  <tracking_uri> <registered_name> <save_dir>
    python3 python_onnx_roundtrip.py check <tracking_uri> <models:/ uri> [expected_predictions.json]
"""
import json
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import mlflow
import mlflow.onnx
import mlflow.pyfunc
from mlflow.models import Model

# y = X @ W + b, X float32 [-1, 3], y float32 [-1, 1]
W = np.array([[0.5], [-1.25], [2.0]], dtype=np.float32)
B = np.array([0.75], dtype=np.float32)
X = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.5, 4.0, 0.25], [10.0, -3.0, 7.5]], dtype=np.float32)


def linear_model():
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["XW"]), helper.make_node("Add", ["XW", "b"], ["y"])],
        "linear",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])],
        initializer=[numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "b")],
    )
    model = helper.make_model(graph, producer_name="strata-compat", opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def _allow_saving_without_onnxruntime():
    """mlflow.onnx.save_model/log_model import onnxruntime only to check onnx_session_options (None here).

    Where the onnxruntime wheel is missing (it was on the machine this was first run on), a module with an
    empty SessionOptions lets the writer run; nothing is ever evaluated with it. Predicting still needs the
    real package.
    """
    try:
        import onnxruntime  # noqa: F401
    except ModuleNotFoundError:
        import types

        stand_in = types.ModuleType("onnxruntime")
        stand_in.SessionOptions = type("SessionOptions", (), {})
        sys.modules["onnxruntime"] = stand_in
        print("onnxruntime is not installed: saving with a stand-in module (no inference)", file=sys.stderr)
        return False
    return True


def log(tracking_uri, name, save_dir):
    mlflow.set_tracking_uri(tracking_uri)
    model = linear_model()
    # Without the real onnxruntime, requirements are given rather than inferred (inference loads the model).
    reqs = None if _allow_saving_without_onnxruntime() else [f"onnx=={onnx.__version__}", "onnxruntime"]
    mlflow.onnx.save_model(model, save_dir, pip_requirements=reqs)
    mlflow.set_experiment("python-onnx-compat")
    with mlflow.start_run():
        info = mlflow.onnx.log_model(model, "model", registered_model_name=name, pip_requirements=reqs)
    client = mlflow.MlflowClient()
    version = client.get_latest_versions(name)[0].version
    client.set_registered_model_alias(name, "champion", version)
    print(json.dumps({"model_uri": info.model_uri, "version": version,
                      "inputs": X.tolist(), "predictions": (X @ W + B).tolist()}))


def evaluate_linear(model, x):
    """Evaluates a MatMul + Add graph with numpy (onnx < 1.13 has no reference evaluator)."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    values = dict(inits)
    values[model.graph.input[0].name] = x
    for node in model.graph.node:
        a, b = (values[i] for i in node.input)
        if node.op_type == "MatMul":
            values[node.output[0]] = a @ b
        elif node.op_type == "Add":
            values[node.output[0]] = a + b
        else:
            raise ValueError(f"op {node.op_type} is not evaluated by this script")
    return values[model.graph.output[0].name]


def check(tracking_uri, model_uri, expected_path=None):
    mlflow.set_tracking_uri(tracking_uri)
    report = {}
    meta = Model.load(model_uri)
    pyfunc = meta.flavors["python_function"]
    report["flavors"] = sorted(meta.flavors)
    report["loader_module"] = pyfunc["loader_module"]
    report["signature_inputs"] = meta.signature.inputs.to_dict() if meta.signature else None
    assert pyfunc["loader_module"] == "mlflow.onnx", pyfunc
    assert meta.flavors["onnx"]["data"] == "model.onnx"

    local = mlflow.artifacts.download_artifacts(model_uri, dst_path=tempfile.mkdtemp())
    report["files"] = sorted(os.listdir(local))
    graph = onnx.load(os.path.join(local, meta.flavors["onnx"]["data"]))
    onnx.checker.check_model(graph)
    report["ir_version"] = graph.ir_version
    report["opsets"] = {o.domain: o.version for o in graph.opset_import}

    try:
        mlflow.pyfunc.load_model(model_uri)
        report["pyfunc_load"] = "loaded"
    except ModuleNotFoundError as e:
        report["pyfunc_load"] = f"ModuleNotFoundError: {e.name}"
        assert e.name == "onnxruntime", e

    if expected_path:
        with open(expected_path) as f:
            expected = json.load(f)
        x = np.array(expected["inputs"], dtype=np.float32)
        got = evaluate_linear(graph, x)
        np.testing.assert_allclose(got, np.array(expected["predictions"], dtype=np.float32), rtol=1e-6, atol=1e-6)
        report["predictions_match"] = got.tolist()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    {"log": log, "check": check}[sys.argv[1]](*sys.argv[2:])
