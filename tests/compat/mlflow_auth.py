"""Hand check (not run in CI) for either MLflow client (2.12.2 or 3.5) against a Strata server started with --auth:
basic auth (MLFLOW_TRACKING_USERNAME/PASSWORD) and a bearer token (MLFLOW_TRACKING_TOKEN) for tracking, artifacts and the
registry, MLflow's AuthServiceClient (create_user, permissions), and the 401/403 answers the client turns into errors.

    STRATA_ADMIN_USERNAME=admin STRATA_ADMIN_PASSWORD=admin-password-1 strata server --auth --port PORT ...
    PYTHONPATH=/opt/mlflow2/src:/opt/mlflow2/deps /usr/bin/python3 tests/compat/mlflow_auth.py http://127.0.0.1:PORT admin admin-password-1
    PYTHONPATH=/opt/mlflow3/src:/opt/mlflow3/deps /usr/bin/python3 tests/compat/mlflow_auth.py http://127.0.0.1:PORT admin admin-password-1
"""
import json
import os
import sys
import tempfile
import urllib.request
import uuid
import base64

try:
    import flask_wtf  # noqa: F401
except ImportError:
    # MLflow 3's auth package imports Flask-WTF at import time for its own server's CSRF checks; the client part used
    # here never touches it, so a stand-in lets AuthServiceClient import without `pip install mlflow[auth]`.
    import types

    class CSRFProtect:
        def __init__(self, *args, **kwargs):
            pass

        def init_app(self, *args, **kwargs):
            pass

        def exempt(self, view):
            return view

    csrf = types.ModuleType("flask_wtf.csrf")
    csrf.CSRFProtect = CSRFProtect
    sys.modules["flask_wtf"] = types.ModuleType("flask_wtf")
    sys.modules["flask_wtf.csrf"] = csrf

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException, RestException
from mlflow.server.auth.client import AuthServiceClient

uri, admin, admin_password = sys.argv[1], sys.argv[2], sys.argv[3]
suffix = uuid.uuid4().hex[:8]
mlflow.set_tracking_uri(uri)


def sign_in(username=None, password=None, token=None):
    for k in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        os.environ.pop(k, None)
    if username:
        os.environ["MLFLOW_TRACKING_USERNAME"] = username
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password
    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token


def fails_with(status_or_code, fn):
    try:
        fn()
    except (MlflowException, RestException) as e:
        text = str(e) + " " + str(getattr(e, "error_code", ""))
        assert str(status_or_code) in text, text
        return
    raise AssertionError(f"expected {status_or_code}")


# --- the admin creates users and grants through MLflow's own AuthServiceClient ---
sign_in(admin, admin_password)
auth = AuthServiceClient(uri)
alice, bob = f"alice-{suffix}", f"bob-{suffix}"
user = auth.create_user(alice, "alice-password-1")
assert user.username == alice and not user.is_admin
auth.create_user(bob, "bob-password-1")
assert auth.get_user(alice).username == alice

# --- alice (basic auth) tracks, logs artifacts and registers a model; she manages what she creates ---
sign_in(alice, "alice-password-1")
client = MlflowClient()
exp_id = mlflow.create_experiment(f"auth-{suffix}")
with mlflow.start_run(experiment_id=exp_id) as run:
    mlflow.log_param("p", 1)
    mlflow.log_metrics({f"m{i}": i for i in range(10)})
    mlflow.log_text("hello", "notes/hello.txt")
assert client.get_run(run.info.run_id).info.user_id == alice
with tempfile.TemporaryDirectory() as d:
    assert open(client.download_artifacts(run.info.run_id, "notes/hello.txt", d)).read() == "hello"
client.create_registered_model(f"auth-model-{suffix}")
client.create_model_version(f"auth-model-{suffix}", f"runs:/{run.info.run_id}/model", run.info.run_id)
AuthServiceClient(uri).create_experiment_permission(exp_id, bob, "READ")
AuthServiceClient(uri).create_registered_model_permission(f"auth-model-{suffix}", bob, "NO_PERMISSIONS")
assert AuthServiceClient(uri).get_experiment_permission(exp_id, bob).permission == "READ"

# --- bob reads but may not write, and the hidden model stays hidden (also from search) ---
sign_in(bob, "bob-password-1")
client = MlflowClient()
assert client.get_run(run.info.run_id).data.params["p"] == "1"
fails_with("PERMISSION_DENIED", lambda: client.log_metric(run.info.run_id, "x", 1.0))
fails_with("PERMISSION_DENIED", lambda: client.get_registered_model(f"auth-model-{suffix}"))
assert f"auth-model-{suffix}" not in [m.name for m in client.search_registered_models(f"name LIKE 'auth-model-{suffix}%'")]
fails_with("PERMISSION_DENIED", lambda: AuthServiceClient(uri).create_user(f"eve-{suffix}", "eve-password-1"))

# --- wrong password: 401 UNAUTHENTICATED ---
sign_in(bob, "wrong-password")
fails_with("UNAUTHENTICATED", lambda: MlflowClient().get_experiment(exp_id))

# --- a token (created over Strata's REST API) works as MLFLOW_TRACKING_TOKEN until revoked ---
basic = base64.b64encode(f"{alice}:alice-password-1".encode()).decode()
req = urllib.request.Request(f"{uri}/api/2.0/strata/tokens", data=json.dumps({"name": "compat"}).encode(),
                             headers={"Authorization": "Basic " + basic, "Content-Type": "application/json"}, method="POST")
created = json.load(urllib.request.urlopen(req))
sign_in(token=created["secret"])
client = MlflowClient()
with mlflow.start_run(experiment_id=exp_id) as run2:
    mlflow.log_metric("via_token", 1.0)
assert client.get_run(run2.info.run_id).data.metrics["via_token"] == 1.0
req = urllib.request.Request(f"{uri}/api/2.0/strata/tokens/{created['token']['id']}",
                             headers={"Authorization": "Basic " + basic}, method="DELETE")
urllib.request.urlopen(req).read()
fails_with("UNAUTHENTICATED", lambda: MlflowClient().get_run(run2.info.run_id))

# --- the admin cleans up ---
sign_in(admin, admin_password)
AuthServiceClient(uri).update_user_admin(bob, True)
AuthServiceClient(uri).delete_user(bob)
print("mlflow", mlflow.__version__, "auth compat OK")
