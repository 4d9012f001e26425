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


def evaluate_linear(model, feeds):
    """Evaluates a linear ONNX graph with numpy: onnx < 1.13 has no onnx.reference evaluator, and onnxruntime
    may be missing. Covers the ops of the graph above and of an ML.NET linear regression exported to ONNX."""
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    values.update(feeds)
    for node in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        args = [values[i] for i in node.input]
        op = (node.domain or "ai.onnx", node.op_type)
        if op == ("ai.onnx", "MatMul"):
            out = args[0] @ args[1]
        elif op == ("ai.onnx", "Add"):
            out = args[0] + args[1]
        elif op == ("ai.onnx", "Identity"):
            out = args[0]
        elif op == ("ai.onnx", "Cast"):
            out = args[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[attrs["to"]])
        elif op == ("ai.onnx.ml", "FeatureVectorizer"):
            out = np.concatenate([a.reshape(a.shape[0], -1) for a in args], axis=1)
        elif op == ("ai.onnx.ml", "Scaler"):
            out = (args[0] - np.array(attrs["offset"], np.float32)) * np.array(attrs["scale"], np.float32)
        elif op == ("ai.onnx.ml", "LinearRegressor"):
            assert attrs.get("post_transform", b"NONE") == b"NONE", attrs
            coef = np.array(attrs["coefficients"], np.float32).reshape(attrs.get("targets", 1), -1)
            out = args[0].astype(np.float32) @ coef.T + np.array(attrs.get("intercepts", [0.0]), np.float32)
        else:
            raise ValueError(f"op {op} is not evaluated by this script")
        values[node.output[0]] = out
    return values[model.graph.output[0].name]


class _NumpyInferenceSession:
    """Stands in for onnxruntime.InferenceSession when onnxruntime is missing, so mlflow.pyfunc's own ONNX wrapper
    (feed building, float64 casts, output formatting) runs end to end. Like ONNX Runtime it rejects feeds of the
    wrong name, rank or element type; the graph itself is evaluated by evaluate_linear."""

    _TYPES = {TensorProto.FLOAT: ("tensor(float)", np.float32), TensorProto.DOUBLE: ("tensor(double)", np.float64),
              TensorProto.INT64: ("tensor(int64)", np.int64)}

    class _Arg:
        def __init__(self, value_info):
            tensor = value_info.type.tensor_type
            self.name = value_info.name
            self.type, self.dtype = _NumpyInferenceSession._TYPES[tensor.elem_type]
            self.shape = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]

    def __init__(self, path, sess_options=None, providers=None):
        self.model = onnx.load(path)
        self.providers = providers

    def get_inputs(self):
        return [self._Arg(i) for i in self.model.graph.input]

    def get_outputs(self):
        return [self._Arg(o) for o in self.model.graph.output]

    def run(self, output_names, feeds):
        for arg in self.get_inputs():
            feed = np.asarray(feeds[arg.name])
            if feed.ndim != len(arg.shape) or feed.dtype != arg.dtype:
                raise ValueError(f"input {arg.name}: got {feed.dtype} rank {feed.ndim}, expected {arg.type} rank {len(arg.shape)}")
        assert output_names == [self.model.graph.output[0].name], output_names
        return [evaluate_linear(self.model, feeds)]


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
        report["pyfunc_load"] = "loaded with onnxruntime"
    except ModuleNotFoundError as e:
        report["pyfunc_load"] = f"ModuleNotFoundError: {e.name}"
        assert e.name == "onnxruntime", e

    if expected_path:
        with open(expected_path) as f:
            expected = json.load(f)
        x = np.array(expected["inputs"], dtype=np.float32)
        columns = expected.get("columns")
        if columns:  # one [-1, 1] input per column, as ML.NET exports scalar columns
            feeds = {c: x[:, i:i + 1] for i, c in enumerate(columns)}
        else:
            feeds = {graph.graph.input[0].name: x}
        got = evaluate_linear(graph, feeds)
        np.testing.assert_allclose(got, np.array(expected["predictions"], dtype=np.float32), rtol=1e-5, atol=1e-5)
        report["numpy_predictions"] = got.ravel().tolist()

        if report["pyfunc_load"].startswith("ModuleNotFoundError"):
            import types

            stand_in = types.ModuleType("onnxruntime")
            stand_in.SessionOptions = type("SessionOptions", (), {})
            stand_in.InferenceSession = _NumpyInferenceSession
            sys.modules["onnxruntime"] = stand_in
            report["pyfunc_load"] += "; loaded with a numpy stand-in for onnxruntime.InferenceSession"
        pyfunc_model = mlflow.pyfunc.load_model(model_uri)
        import pandas as pd

        # A DataFrame of float64 (what JSON gives a scoring server) for column inputs: MLflow's schema enforcement
        # reshapes each column to its [-1, 1] tensor spec and casts it; a bare ndarray must already be float32.
        frame = pd.DataFrame(x.astype(np.float64), columns=columns) if columns else x
        predicted = pyfunc_model.predict(frame)
        predicted = np.asarray(predicted.iloc[:, 0] if isinstance(predicted, pd.DataFrame) else next(iter(predicted.values())))
        np.testing.assert_allclose(predicted.ravel(), np.array(expected["predictions"], dtype=np.float32).ravel(), rtol=1e-5, atol=1e-5)
        report["pyfunc_predictions"] = predicted.ravel().tolist()
        report["dotnet_predictions"] = np.array(expected["predictions"]).ravel().tolist()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    {"log": log, "check": check}[sys.argv[1]](*sys.argv[2:])
