"""Hand check (not run in CI): the unmodified MLflow 3.5 client's webhook API against a running Strata server, with a
receiver that verifies deliveries the way MLflow's documentation shows (HMAC-SHA256 over
"{delivery_id}.{timestamp}.{payload}").

    PYTHONPATH=/opt/mlflow3/src:/opt/mlflow3/deps /usr/bin/python3 tests/compat/mlflow3_webhooks.py http://127.0.0.1:PORT
"""
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import mlflow
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus

SECRET = "compat-secret"
received = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        delivery_id = self.headers["X-MLflow-Delivery-Id"]
        timestamp = self.headers["X-MLflow-Timestamp"]
        signature = self.headers.get("X-MLflow-Signature", "")
        expected = "v1," + base64.b64encode(
            hmac.new(SECRET.encode(), f"{delivery_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
        ).decode()
        ok = hmac.compare_digest(expected, signature) and abs(time.time() - int(timestamp)) < 300
        received.append((ok, json.loads(body)))
        self.send_response(200 if ok else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}/hook"

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()
hook = client.create_webhook(
    name=f"compat-{uuid.uuid4().hex[:6]}",
    url=url,
    events=["registered_model.created", "model_version.created", "model_version_alias.created", "prompt.created"],
    secret=SECRET,
    description="compat",
)
assert hook.status == WebhookStatus.ACTIVE and hook.secret is None, hook
assert client.get_webhook(hook.webhook_id).name == hook.name
assert hook.webhook_id in [w.webhook_id for w in client.list_webhooks()]

result = client.test_webhook(hook.webhook_id, event=WebhookEvent("model_version", "created"))
assert result.success and result.response_status == 200, result

name = f"wh-{uuid.uuid4().hex[:6]}"
client.create_registered_model(name)
client.create_model_version(name, "s3://bucket/model")
client.set_registered_model_alias(name, "champion", "1")
mlflow.genai.register_prompt(name=f"p-{name}", template="Hi {{ x }}")

deadline = time.time() + 20
while len(received) < 5 and time.time() < deadline:
    time.sleep(0.1)
events = [f"{b['entity']}.{b['action']}" for ok, b in received]
assert all(ok for ok, _ in received), received
assert events == ["model_version.created", "registered_model.created", "model_version.created", "model_version_alias.created", "prompt.created"], events
assert received[2][1]["data"] == {"name": name, "version": "1", "source": "s3://bucket/model", "run_id": None, "tags": {}, "description": None}, received[2]

updated = client.update_webhook(hook.webhook_id, status=WebhookStatus.DISABLED, events=["prompt_alias.deleted"])
assert updated.status == WebhookStatus.DISABLED and [str(e) for e in updated.events] == ["prompt_alias.deleted"]
client.delete_webhook(hook.webhook_id)
try:
    client.get_webhook(hook.webhook_id)
    raise AssertionError("deleted webhook still readable")
except mlflow.exceptions.MlflowException as e:
    assert e.error_code == "RESOURCE_DOES_NOT_EXIST", e
print("mlflow3 webhooks: OK")
