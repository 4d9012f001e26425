"""Writes the python_function models the Python worker tests serve, and what each answers when called in Python.

Usage: make_models.py OUT_DIR

Every model is an MLflow model folder written by hand (MLmodel, code/, data), so neither MLflow nor PyYAML is needed:
  custom/   a custom loader_module (code/strata_test_loader.py) whose _load_pyfunc reads data/config.json
  sklearn/  a pickled scikit-learn Pipeline(StandardScaler, LogisticRegression) in mlflow.sklearn's layout
  tensor/   a custom loader taking one unnamed float64 tensor [-1, 3]
  raising/  a custom loader whose predict raises
  slow/     a custom loader that sleeps when asked to (x > 1000), and sleeps 20 ms a call otherwise
  badexample/ a custom model whose serving_input_example.json its predict rejects
OUT_DIR/expected.json holds the inputs the tests send and each model's predictions for them, computed here by loading
each folder through the python_function contract and calling predict.
"""

import importlib
import json
import os
import pickle
import sys

try:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    sys.stderr.write(
        "The Python worker tests need numpy, pandas and scikit-learn in %s (%s). On Debian: "
        "apt-get install python3-numpy python3-pandas python3-sklearn (test.sh does this).\n" % (sys.executable, e)
    )
    sys.exit(3)

LOADER = '''
import json, os, time
import numpy as np


class Model:
    def __init__(self, config):
        self.kind = config["kind"]
        self.scale = config.get("scale", 1.0)

    def predict(self, data, params=None):
        if self.kind == "linear":
            return (data["x"] * self.scale + data["y"]).to_numpy()
        if self.kind == "frame":
            import pandas as pd
            return pd.DataFrame({"total": data["x"] + data["y"], "label": ["big" if v > 5 else "small" for v in data["x"]]})
        if self.kind == "tensor":
            return np.asarray(data).sum(axis=1) * self.scale
        if self.kind == "raise":
            raise ValueError("the model refuses x=%s" % (data["x"].iloc[0],))
        if self.kind == "slow":
            if (data["x"] > 1000).any():
                time.sleep(120)
            time.sleep(0.02)
            return data["x"].to_numpy() * 2
        if self.kind == "params":
            return (data["x"] * params["factor"]).to_numpy() if params else data["x"].to_numpy()
        if self.kind == "echo":
            # What the model was given, one row per column or array: how a model without a signature sees a request.
            import pandas as pd
            if isinstance(data, pd.DataFrame):
                items, kind = [(c, data[c]) for c in data.columns], "DataFrame"
            elif isinstance(data, dict):
                items, kind = list(data.items()), "dict"
            else:
                items, kind = [("", data)], type(data).__name__
            arrays = [np.asarray(v) for _, v in items]
            return pd.DataFrame({
                "kind": [kind] * len(items),
                "name": [str(n) for n, _ in items],
                "name_type": [type(n).__name__ for n, _ in items],
                "dtype": [str(a.dtype) for a in arrays],
                "shape": [str(a.shape) for a in arrays],
                "values": [json.dumps(a.tolist()) for a in arrays],
            })
        if self.kind == "picky":
            if (data["x"] < 0).any():
                raise ValueError("negative x")
            return data["x"].to_numpy()
        raise ValueError(self.kind)


def _load_pyfunc(data_path):
    with open(os.path.join(data_path, "config.json")) as f:
        return Model(json.load(f))
'''

XY = '[{"type": "double", "name": "x", "required": true}, {"type": "double", "name": "y", "required": true}]'
X = '[{"type": "double", "name": "x", "required": true}]'
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SK_INPUTS = json.dumps([{"type": "double", "name": n, "required": True} for n in FEATURES])
TENSOR = '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]'


def write_mlmodel(folder, flavors, inputs, outputs=None, params=None):
    lines = ["flavors:"]
    for name, conf in flavors.items():
        lines.append("  %s:" % name)
        for k, v in conf.items():
            lines.append("    %s: %s" % (k, v))
    lines.append("mlflow_version: 2.12.2")
    lines.append("model_uuid: %s" % os.path.basename(folder))
    if inputs is not None:
        lines.append("signature:")
        lines.append("  inputs: '%s'" % inputs)
        if outputs:
            lines.append("  outputs: '%s'" % outputs)
        if params:
            lines.append("  params: '%s'" % params)
    lines.append("utc_time_created: '2026-12-01 00:00:00.000000'")
    with open(os.path.join(folder, "MLmodel"), "w") as f:
        f.write("\n".join(lines) + "\n")


def custom_model(out, name, config, inputs, example, params=None):
    folder = os.path.join(out, name)
    os.makedirs(os.path.join(folder, "code"))
    os.makedirs(os.path.join(folder, "data"))
    with open(os.path.join(folder, "code", "strata_test_loader.py"), "w") as f:
        f.write(LOADER)
    with open(os.path.join(folder, "data", "config.json"), "w") as f:
        json.dump(config, f)
    write_mlmodel(
        folder,
        {"python_function": {"loader_module": "strata_test_loader", "code": "code", "data": "data", "python_version": "3.11.2"}},
        inputs,
        params=params,
    )
    if example is not None:
        with open(os.path.join(folder, "serving_input_example.json"), "w") as f:
            json.dump(example, f)
    return folder


def sklearn_model(out):
    rng = np.random.RandomState(7)
    n = 300
    X = rng.normal(size=(n, 4)) * [0.8, 0.4, 1.7, 0.7] + [5.8, 3.0, 3.7, 1.2]
    y = (X[:, 2] * 1.3 + X[:, 3] * 2 + rng.normal(scale=0.6, size=n) > 7.4).astype(int) + (X[:, 2] > 5.0).astype(int)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))])
    pipe.fit(pd.DataFrame(X, columns=FEATURES), y)
    folder = os.path.join(out, "sklearn")
    os.makedirs(folder)
    with open(os.path.join(folder, "model.pkl"), "wb") as f:
        pickle.dump(pipe, f)
    write_mlmodel(
        folder,
        {
            "python_function": {
                "loader_module": "mlflow.sklearn",
                "model_path": "model.pkl",
                "predict_fn": "predict",
                "python_version": "3.11.2",
            },
            "sklearn": {"pickled_model": "model.pkl", "serialization_format": "pickle", "sklearn_version": "1.2.1", "code": "null"},
        },
        SK_INPUTS,
        '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    )
    example = {"dataframe_split": {"columns": FEATURES, "data": [[5.1, 3.5, 1.4, 0.2]]}}
    with open(os.path.join(folder, "serving_input_example.json"), "w") as f:
        json.dump(example, f)
    # The same pipeline as mlflow.sklearn.log_model writes it without an input example: no signature at all.
    unsigned = os.path.join(out, "nosig")
    os.makedirs(unsigned)
    with open(os.path.join(unsigned, "model.pkl"), "wb") as f:
        pickle.dump(pipe, f)
    write_mlmodel(
        unsigned,
        {
            "python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl", "predict_fn": "predict", "python_version": "3.11.2"},
            "sklearn": {"pickled_model": "model.pkl", "serialization_format": "pickle", "sklearn_version": "1.2.1", "code": "null"},
        },
        None,
    )
    return folder, X[:40]


def load_like_mlflow(folder, loader, data):
    """The python_function contract, as a user calling the model in Python would load it."""
    code = os.path.join(folder, "code")
    if os.path.isdir(code) and code not in sys.path:
        sys.path.insert(0, code)
    if loader == "mlflow.sklearn":
        with open(os.path.join(folder, "model.pkl"), "rb") as f:
            return pickle.load(f)
    module = importlib.import_module(loader)
    return module._load_pyfunc(os.path.join(folder, data))


# Requests to a model without a signature, and how mlflow models serve turns each into the model's input (pandas and
# numpy inferring the types: proto_json_utils.dataframe_from_parsed_json, parse_tf_serving_input, parse_csv_input).
OPEN_BODIES = {
    "split": {"dataframe_split": {"columns": ["a", "b", "c", "d", "e"], "data": [[1, 1.5, "x", True, 1], [2, None, None, False, None]]}},
    "split_positional": {"dataframe_split": {"data": [[1, 2.5], [3, 4.5]]}},
    # A key a record lacks is NaN in a numeric column (in a text column pandas puts NaN, Strata None: both missing).
    "records": {"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2, "b": "z"}, {"b": "y", "c": 0.5}]},
    "instances_list": {"instances": [[1, 2], [3, 4], [5, 6]]},
    "instances_records": {"instances": [{"a": 1, "b": 2.5}, {"a": 3, "b": 4.0}]},
    "inputs_dict": {"inputs": {"a": [[1, 2], [3, 4]], "b": ["p", "q"]}},
    "inputs_list": {"inputs": [1.5, 2.5, 3.0]},
}
OPEN_CSV = "a,b,c,d\n1,2.5,x,True\n2,,y,False\n"


def mlflow_parse(body):
    key, value = next(iter(body.items()))
    if key == "dataframe_split":
        return pd.DataFrame(index=value.get("index"), columns=value.get("columns"), data=value["data"])
    if key == "dataframe_records":
        return pd.DataFrame(data=value)
    if key == "instances" and isinstance(value[0], dict):
        columns = {}
        for item in value:
            for k, v in item.items():
                columns.setdefault(k, []).append(v)
        return {k: np.array(v) for k, v in columns.items()}
    if isinstance(value, dict):
        return {k: np.array(v) for k, v in value.items()}
    return np.array(value)


def open_expectations(echo):
    import io

    cases = {name: {"body": json.dumps(body), "content_type": "application/json", "model_input": mlflow_parse(body)}
             for name, body in OPEN_BODIES.items()}
    cases["csv"] = {"body": OPEN_CSV, "content_type": "text/csv", "model_input": pd.read_csv(io.StringIO(OPEN_CSV))}
    for case in cases.values():
        case["echo"] = echo.predict(case.pop("model_input")).to_dict(orient="records")
    return cases


def main(out):
    os.makedirs(out, exist_ok=True)
    xy_example = {"dataframe_split": {"columns": ["x", "y"], "data": [[1.0, 2.0]]}}
    custom = custom_model(out, "custom", {"kind": "linear", "scale": 3.0}, XY, xy_example)
    custom_model(out, "frame", {"kind": "frame"}, XY, xy_example)
    tensor = custom_model(out, "tensor", {"kind": "tensor", "scale": 0.5}, TENSOR, {"inputs": [[1.0, 2.0, 3.0]]})
    custom_model(out, "raising", {"kind": "raise"}, X, None)
    custom_model(out, "slow", {"kind": "slow"}, X, {"dataframe_split": {"columns": ["x"], "data": [[1.0]]}})
    custom_model(out, "params", {"kind": "params"}, X, None,
                 params='[{"name": "factor", "type": "double", "default": 2.0, "shape": null}]')
    custom_model(out, "badexample", {"kind": "picky"}, X, {"dataframe_split": {"columns": ["x"], "data": [[-1.0]]}})
    sk_folder, sk_rows = sklearn_model(out)
    echo = custom_model(out, "echo", {"kind": "echo"}, None, None)

    xy_rows = [[float(i) * 0.5, float(i % 7) - 2.25] for i in range(40)]
    tensor_rows = [[float(i), float(i) * 0.25, -1.5] for i in range(40)]
    custom_model_obj = load_like_mlflow(custom, "strata_test_loader", "data")
    frame_model = load_like_mlflow(os.path.join(out, "frame"), "strata_test_loader", "data")
    tensor_model = load_like_mlflow(tensor, "strata_test_loader", "data")
    sk = load_like_mlflow(sk_folder, "mlflow.sklearn", None)
    frame_out = frame_model.predict(pd.DataFrame(xy_rows, columns=["x", "y"]))
    expected = {
        "xy_rows": xy_rows,
        "custom": custom_model_obj.predict(pd.DataFrame(xy_rows, columns=["x", "y"])).tolist(),
        "frame": {"total": frame_out["total"].tolist(), "label": frame_out["label"].tolist()},
        "tensor_rows": tensor_rows,
        "tensor": tensor_model.predict(np.asarray(tensor_rows)).tolist(),
        "sklearn_columns": FEATURES,
        "sklearn_rows": sk_rows.tolist(),
        "sklearn": sk.predict(pd.DataFrame(sk_rows, columns=FEATURES)).tolist(),
        "sklearn_proba": sk.predict_proba(pd.DataFrame(sk_rows, columns=FEATURES)).tolist(),
    }
    expected["open"] = open_expectations(load_like_mlflow(echo, "strata_test_loader", "data"))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main(sys.argv[1])
