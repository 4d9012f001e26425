"""Hand check (not run in CI) for either MLflow client (2.12.2 or 3.5): a proxied multipart upload against a Strata
server started with --auth. The client signs in for mpu/create and mpu/complete and PUTs the parts to the URLs it was
given without credentials (each carries its own signed grant); the file must come back byte for byte.

    MLFLOW_TRACKING_USERNAME=admin MLFLOW_TRACKING_PASSWORD=... \
    PYTHONPATH=/opt/mlflow3/src:/opt/mlflow3/deps /usr/bin/python3 tests/compat/mlflow_multipart_auth.py http://127.0.0.1:PORT
"""
import os
import sys
import tempfile
import uuid

# Before mlflow is imported: multipart above 1 MB, in 1 MB parts (the defaults are 500 MB and 10 MB).
os.environ["MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD"] = "true"
os.environ["MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE"] = str(1024 * 1024)
os.environ["MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE"] = str(1024 * 1024)

import mlflow  # noqa: E402
from mlflow.store.artifact import http_artifact_repo  # noqa: E402

parts = []
original = http_artifact_repo.HttpArtifactRepository._upload_part


def counting_upload_part(*args, **kwargs):
    parts.append(kwargs["credential"].url)
    return original(*args, **kwargs)


http_artifact_repo.HttpArtifactRepository._upload_part = staticmethod(counting_upload_part)

mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(f"mpu-{uuid.uuid4().hex[:8]}")
data = os.urandom(3 * 1024 * 1024 + 12345)
with tempfile.TemporaryDirectory() as d, mlflow.start_run() as run:
    path = os.path.join(d, "weights.bin")
    with open(path, "wb") as f:
        f.write(data)
    mlflow.log_artifact(path, "model")
    back = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="model/weights.bin", dst_path=d + "/back")
    with open(back, "rb") as f:
        assert f.read() == data, "downloaded bytes differ"

assert len(parts) == 4, f"expected 4 parts through multipart upload, got {len(parts)}"
assert all("&signature=" in u for u in parts), parts
print(f"OK: {mlflow.__version__} uploaded {len(data)} bytes in {len(parts)} signed parts")
