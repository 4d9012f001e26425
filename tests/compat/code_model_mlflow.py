"""Checks that MLflow's Python client reads a Strata code model (dotnet_function flavor) and that pyfunc refuses it.

Usage: python3 tests/compat/code_model_mlflow.py <model-folder> [<model-folder> ...]
(with PYTHONPATH=/opt/mlflow3/src:/opt/mlflow3/deps or /opt/mlflow2/src:/opt/mlflow2/deps). See README.md.
"""
import sys

import mlflow
import mlflow.pyfunc
from mlflow.exceptions import MlflowException
from mlflow.models import Model


def check(folder):
    model = Model.load(folder)
    assert "dotnet_function" in model.flavors, model.flavors
    assert "python_function" not in model.flavors, model.flavors
    flavor = model.flavors["dotnet_function"]
    for key in ("code", "assembly", "model_class", "interface", "target_framework"):
        assert flavor.get(key), (key, flavor)
    assert model.signature is not None and model.signature.inputs is not None
    names = model.signature.inputs.input_names()
    assert model.saved_input_example_info["serving_input_path"] == "serving_input_example.json"
    example = model.load_input_example(folder)
    assert list(example.columns) == names, (list(example.columns), names)
    try:
        mlflow.pyfunc.load_model(folder)
    except MlflowException as e:
        assert "python_function" in str(e), str(e)
        print(f"ok {folder}: mlflow {mlflow.__version__} reads the MLmodel ({flavor['model_class']}, "
              f"{len(names)} input columns); pyfunc refuses it: {e}")
        return
    raise AssertionError("mlflow.pyfunc.load_model loaded a dotnet_function model")


if __name__ == "__main__":
    for path in sys.argv[1:]:
        check(path)
