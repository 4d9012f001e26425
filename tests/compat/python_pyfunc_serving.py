"""Manual check: MLflow python_function models served by Strata answer exactly as `mlflow models serve` does.

Public MLflow API only. Usage (see pyfunc_serving.sh, which drives it):

    python3 python_pyfunc_serving.py log <tracking_uri> <prefix>
        logs three registered models with alias "champion": <prefix>-sklearn (mlflow.sklearn.log_model of a
        StandardScaler + LogisticRegression pipeline on scikit-learn's bundled wine data) and <prefix>-pymodel
        (mlflow.pyfunc.log_model of a PythonModel returning a DataFrame), both with an input example, and
        <prefix>-nosig (the same pipeline logged with no input example, so with no signature).
    python3 python_pyfunc_serving.py compare <model> <strata_url> <mlflow_url>
        posts the same bodies (every JSON form, CSV, one row and many, a bad column type) to both servers and
        compares status codes and JSON bodies; exits 1 on any difference.
"""
import json
import sys
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow import MlflowClient


def wine():
    data = load_wine(as_frame=True)
    X = data.data.rename(columns=lambda c: c.replace("/", "_"))
    return X, data.target


class Scorer(mlflow.pyfunc.PythonModel):
    """A custom model: a weighted sum of two columns and a label, as a DataFrame."""

    def predict(self, context, model_input, params=None):
        score = model_input["alcohol"] * 0.5 + model_input["malic_acid"]
        return pd.DataFrame({"score": score, "high": score > 8.0})


def log(tracking_uri, prefix):
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("strata-pyfunc-compat")
    X, y = wine()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))]).fit(X, y)
    client = MlflowClient()
    with mlflow.start_run():
        mlflow.sklearn.log_model(pipe, "model", input_example=X.head(3), registered_model_name=prefix + "-sklearn")
        mlflow.pyfunc.log_model("pymodel", python_model=Scorer(), input_example=X[["alcohol", "malic_acid"]].head(2),
                                registered_model_name=prefix + "-pymodel")
        mlflow.sklearn.log_model(pipe, "nosig", registered_model_name=prefix + "-nosig")
    for name in (prefix + "-sklearn", prefix + "-pymodel", prefix + "-nosig"):
        latest = max(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
        client.set_registered_model_alias(name, "champion", str(latest))
        print(name, "version", latest)


def post(url, body, content_type="application/json"):
    request = urllib.request.Request(url + "/invocations", data=body.encode(), headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def bodies(model):
    X, _ = wine()
    if model.endswith("pymodel"):
        X = X[["alcohol", "malic_acid"]]
    one = X.iloc[[7]]
    many = X.iloc[::3]
    bad = one.astype(object)
    bad.iloc[0, 0] = "not a number"
    result = {
        "split-1": json.dumps({"dataframe_split": json.loads(one.to_json(orient="split", index=False))}),
        "split-many": json.dumps({"dataframe_split": json.loads(many.to_json(orient="split", index=False))}),
        "records": json.dumps({"dataframe_records": json.loads(many.to_json(orient="records"))}),
        "instances": json.dumps({"instances": json.loads(many.head(5).to_json(orient="records"))}),
        "inputs": json.dumps({"inputs": {c: many[c].head(4).tolist() for c in many.columns}}),
        "csv": (many.head(6).to_csv(index=False), "text/csv"),
        "bad-type": json.dumps({"dataframe_split": json.loads(bad.to_json(orient="split", index=False))}),
    }
    if model.endswith("nosig"):
        # No signature: rows without column names reach the model as a DataFrame labelled 0, 1, ...
        result["split-positional"] = json.dumps({"dataframe_split": {"data": many.head(3).values.tolist()}})
        result["instances-rows"] = json.dumps({"instances": many.head(3).values.tolist()})
    return result


def same_answer(status, s_text, m_text):
    try:
        s, m = json.loads(s_text), json.loads(m_text)
    except ValueError:
        return s_text == m_text
    if status >= 400 and isinstance(s, dict) and isinstance(m, dict):
        # The tracebacks differ by nature (two different call stacks); the error code and message must agree.
        return (s.get("error_code"), s.get("message")) == (m.get("error_code"), m.get("message"))
    return s == m


def compare(model, strata, reference):
    failed = False
    for name, body in bodies(model).items():
        content_type = "application/json"
        if isinstance(body, tuple):
            body, content_type = body
        s_status, s_text = post(strata, body, content_type)
        m_status, m_text = post(reference, body, content_type)
        same = same_answer(s_status, s_text, m_text)
        if name == "bad-type":
            # Strata refuses the bad cell before Python (as it does for every flavor), MLflow inside it: the status
            # must agree; the error code differs (INVALID_PARAMETER_VALUE against BAD_REQUEST), a known difference.
            same = json.loads(s_text).get("error_code") == json.loads(m_text).get("error_code")
        ok = same and s_status == m_status
        known = name == "bad-type" and s_status == m_status
        failed |= not ok and not known
        print(f"{'OK  ' if ok else 'KNOWN' if known else 'DIFF'} {model} {name}: strata {s_status} {s_text[:160]}")
        if not ok:
            print(f"     mlflow {m_status} {m_text[:300]}")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1] == "log":
        log(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4]))
    else:
        sys.exit(__doc__)
