"""Trains the Python serving bench's model and writes it as an MLflow model folder.

Usage: make_wine_model.py OUT_DIR

A StandardScaler + LogisticRegression pipeline on scikit-learn's bundled wine data (13 float columns, 3 classes).
With MLflow importable the folder is written by mlflow.sklearn.save_model (so `mlflow models serve` serves the very
same folder); otherwise by hand in the same layout (MLmodel, model.pkl, signature, serving_input_example.json).
Also writes OUT_DIR/linear.json (the pipeline's parameters, from which the bench builds the same model as an ONNX
graph), OUT_DIR/one.json and OUT_DIR/many.json (1-row and 64-row dataframe_split bodies) and OUT_DIR/expected.json
(the pipeline's predictions for the 64 rows).
"""
import json
import os
import pickle
import sys

import numpy as np
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def main(out):
    os.makedirs(out, exist_ok=True)
    data = load_wine(as_frame=True)
    X = data.data.rename(columns=lambda c: c.replace("/", "_"))
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=2000))]).fit(X, data.target)
    folder = os.path.join(out, "model")
    try:
        import mlflow.sklearn
        from mlflow.models import infer_signature

        mlflow.sklearn.save_model(pipe, folder, signature=infer_signature(X, pipe.predict(X)), input_example=X.head(1),
                                  serialization_format="pickle")
        how = "mlflow.sklearn.save_model (MLflow %s)" % mlflow.__version__
    except ImportError:
        write_by_hand(folder, pipe, X)
        how = "by hand (MLflow not importable)"
    scaler, clf = pipe.named_steps["scale"], pipe.named_steps["clf"]
    with open(os.path.join(out, "linear.json"), "w") as f:
        json.dump({"columns": list(X.columns), "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
                   "coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(), "classes": clf.classes_.tolist()}, f)
    rows = X.sample(64, random_state=1)
    for name, frame in (("one", rows.head(1)), ("many", rows)):
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump({"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}, f)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(pipe.predict(rows).tolist(), f)
    print("model written", how)


def write_by_hand(folder, pipe, X):
    os.makedirs(folder)
    with open(os.path.join(folder, "model.pkl"), "wb") as f:
        pickle.dump(pipe, f)
    inputs = json.dumps([{"type": "double", "name": c, "required": True} for c in X.columns])
    outputs = json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}])
    with open(os.path.join(folder, "MLmodel"), "w") as f:
        f.write(
            "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
            "    predict_fn: predict\n    python_version: %s\n  sklearn:\n    pickled_model: model.pkl\n"
            "    serialization_format: pickle\n    sklearn_version: 1.2.1\n"
            "mlflow_version: 2.12.2\nsignature:\n  inputs: '%s'\n  outputs: '%s'\n"
            % (sys.version.split()[0], inputs, outputs)
        )
    with open(os.path.join(folder, "serving_input_example.json"), "w") as f:
        json.dump({"dataframe_split": json.loads(X.head(1).to_json(orient="split", index=False))}, f)


if __name__ == "__main__":
    main(sys.argv[1])
