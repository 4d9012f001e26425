"""Hand check (not run in CI) for either MLflow client (2.12.2 or 3.5): tracking, artifacts and registry against a
running Strata server, including the registry searches each client sends.

    PYTHONPATH=/opt/mlflow2/src:/opt/mlflow2/deps /usr/bin/python3 tests/compat/mlflow_registry_smoke.py http://127.0.0.1:PORT
    PYTHONPATH=/opt/mlflow3/src:/opt/mlflow3/deps /usr/bin/python3 tests/compat/mlflow_registry_smoke.py http://127.0.0.1:PORT
"""
import sys
import tempfile
import uuid

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()
suffix = uuid.uuid4().hex[:8]
mlflow.set_experiment(f"smoke-{suffix}")

x = np.random.RandomState(0).rand(50, 3)
y = (x[:, 0] > 0.5).astype(int)
with mlflow.start_run() as run:
    mlflow.log_param("alpha", 0.5)
    for step in range(5):
        mlflow.log_metric("loss", 1 / (step + 1), step=step)
    mlflow.log_text("notes", "notes/readme.txt")
    mlflow.sklearn.log_model(LogisticRegression().fit(x, y), "model", registered_model_name=f"smoke-{suffix}")

found = mlflow.search_runs(filter_string="params.alpha = '0.5' and metrics.loss < 0.3")
assert len(found) == 1, found
assert [m.value for m in client.get_metric_history(run.info.run_id, "loss")] == [1, 0.5, 1 / 3, 0.25, 0.2]
with tempfile.TemporaryDirectory() as d:
    assert open(client.download_artifacts(run.info.run_id, "notes/readme.txt", d)).read() == "notes"

name = f"smoke-{suffix}"
client.create_registered_model(f"{name}-other", tags={"team": "risk"})
assert sorted(m.name for m in client.search_registered_models(f"name LIKE '{name}%'")) == [name, f"{name}-other"]
assert [m.name for m in client.search_registered_models(f"tags.team = 'risk' AND name LIKE '{name}%'")] == [f"{name}-other"]
assert [v.version for v in client.search_model_versions(f"name = '{name}'")] == ["1"]
client.set_registered_model_alias(name, "champion", "1")
model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
assert list(model.predict(x[:3])) == list(LogisticRegression().fit(x, y).predict(x[:3]))
print(f"mlflow {mlflow.__version__} registry smoke: OK")
