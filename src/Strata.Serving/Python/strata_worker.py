"""Strata's Python model worker.

Strata starts one of these per worker slot for a model served through MLflow's ``python_function`` flavor. It loads
the model once, then answers requests on its stdin/stdout pipes until stdin closes (the server stopped or died).
HTTP, both scoring protocols, signature enforcement, batching and logging stay in the server: only ``predict`` runs
here.

Frames (both directions): a little-endian u32 length, then the frame: a little-endian u32 header length, a UTF-8 JSON
header, then the column buffers the header describes, back to back. A column is ``raw`` (its values as little-endian
bytes of the numpy dtype ``dtype``, in C order, for the shape ``shape``) or ``json`` (a JSON list of strings; binary
values are base64). So a whole micro-batch goes as a handful of buffers, never as one JSON object per row.

The model is loaded with ``mlflow.pyfunc.load_model`` when MLflow is importable; otherwise the worker follows the
``python_function`` contract itself: ``code`` on ``sys.path``, ``importlib.import_module(loader_module)`` and
``_load_pyfunc(data_path)``. Models logged by ``mlflow.sklearn`` are also loaded without MLflow, from their pickle.
"""

import base64
import importlib
import json
import os
import struct
import sys
import traceback

_U32 = struct.Struct("<I")

MODEL_ERROR = (
    "Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is "
    "compatible with the model for inference."
)


def _protocol_streams():
    """Takes fds 0 and 1 for the protocol, so a model that prints cannot corrupt a frame: its prints go to stderr."""
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return proto_in, proto_out


def _read_exact(stream, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            return None
        got += k
    return buf


def read_frame(stream):
    head = _read_exact(stream, 4)
    if head is None:
        return None
    (length,) = _U32.unpack(head)
    frame = _read_exact(stream, length)
    if frame is None:
        return None
    (hlen,) = _U32.unpack_from(frame, 0)
    header = json.loads(bytes(frame[4 : 4 + hlen]).decode("utf-8"))
    return header, memoryview(frame)[4 + hlen :]


def write_frame(stream, header, buffers=()):
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    total = 4 + len(head) + sum(len(b) for b in buffers)
    stream.write(_U32.pack(total) + _U32.pack(len(head)) + head)
    for b in buffers:
        stream.write(b)


# ---------------------------------------------------------------------------------------------------------------------
# Loading


class _SklearnModel:
    """mlflow.sklearn's pyfunc wrapper, for models logged by mlflow.sklearn and served where MLflow is not installed."""

    def __init__(self, model, predict_fn):
        self._predict = getattr(model, predict_fn)

    def predict(self, data, params=None):
        return self._predict(data)


def _load_sklearn(data_path, conf):
    path = data_path
    if os.path.isdir(path):
        path = os.path.join(path, conf.get("model_path") or "model.pkl")
    fmt = conf.get("serialization_format", "cloudpickle")
    with open(path, "rb") as f:
        if fmt == "cloudpickle":
            try:
                import cloudpickle as pickler
            except ImportError:
                import pickle as pickler
        else:
            import pickle as pickler
        model = pickler.load(f)
    return _SklearnModel(model, conf.get("predict_fn") or "predict")


def load_model(model_path, conf, use_mlflow):
    """Returns (model, how) where model has predict(data[, params])."""
    if use_mlflow != "never":
        try:
            import mlflow.pyfunc  # noqa: F401
        except ImportError:
            if use_mlflow == "always":
                raise
        else:
            return mlflow.pyfunc.load_model(model_path), "mlflow"

    loader = conf.get("loader_module")
    if not loader:
        raise ValueError("The python_function flavor names no loader_module; this model needs MLflow to load.")
    code = conf.get("code")
    if code:
        sys.path.insert(0, os.path.join(model_path, code))
    data = conf.get("data")
    data_path = os.path.join(model_path, data) if data else model_path
    if loader == "mlflow.sklearn":
        try:
            module = importlib.import_module(loader)
        except ImportError:
            return _load_sklearn(data_path, conf), "pickle"
    else:
        module = importlib.import_module(loader)
    model_config = conf.get("config")
    if model_config:
        try:
            return module._load_pyfunc(data_path, model_config), "python_function"
        except TypeError:
            pass  # a loader written before model_config existed takes only the path
    return module._load_pyfunc(data_path), "python_function"


# ---------------------------------------------------------------------------------------------------------------------
# Columns in and out


def _decode_column(np, col, payload, offset):
    n = col["nbytes"]
    raw = payload[offset : offset + n]
    shape = tuple(col["shape"])
    if col["enc"] == "raw":
        arr = np.frombuffer(raw, dtype=np.dtype(col["dtype"])).reshape(shape)
    else:
        values = json.loads(bytes(raw).decode("utf-8"))
        if col["dtype"] == "bytes":
            values = [base64.b64decode(v) for v in values]
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
        elif col["dtype"] == "datetime64[ns]":
            arr = np.array(values, dtype="datetime64[ns]")
        else:
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
        arr = arr.reshape(shape)
    return arr, offset + n


def to_model_input(np, header, payload, unsigned=False):
    """The model's input. unsigned: the model has no signature, so it gets what mlflow models serve builds from the
    JSON: columns named "0", "1", ... in order are positions (a dataframe_split without columns), labelled 0, 1, ...
    as pandas does, and text arrays are numpy's own string arrays, as np.array makes them."""
    columns = header["columns"]
    arrays = []
    offset = 0
    for col in columns:
        arr, offset = _decode_column(np, col, payload, offset)
        arrays.append((col["name"], arr))
    if header["kind"] == "table":
        import pandas as pd

        names = [name for name, _ in arrays]
        if unsigned and names == [str(i) for i in range(len(names))]:
            names = list(range(len(names)))
            arrays = list(zip(names, (a for _, a in arrays)))
        first = arrays[0][1] if arrays else None
        if first is not None and first.dtype.kind in "biuf" and all(a.ndim == 1 and a.dtype == first.dtype for _, a in arrays):
            # One 2-D block makes the DataFrame about ten times faster than a dict of columns, with the same dtypes.
            return pd.DataFrame(np.column_stack([a for _, a in arrays]), columns=names)
        data = {}
        for name, arr in arrays:
            data[name] = arr if arr.ndim == 1 else list(arr)
        return pd.DataFrame(data, columns=names)
    if unsigned:
        arrays = [(name, np.array(arr.tolist()) if arr.dtype == object else arr) for name, arr in arrays]
    if header.get("single"):
        return arrays[0][1]
    return {name: arr for name, arr in arrays}


def _encode_array(np, name, arr):
    if arr.dtype == object:
        flat = arr.ravel().tolist()
        if flat and all(isinstance(v, bool) for v in flat):
            arr = arr.astype(bool)
        elif flat and all(isinstance(v, int) and not isinstance(v, bool) for v in flat):
            arr = arr.astype(np.int64)
        elif flat and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in flat):
            arr = arr.astype(np.float64)
    kind = arr.dtype.kind
    shape = list(arr.shape)
    if kind in "biuf":
        if kind == "b":
            arr = arr.astype(np.bool_)
        elif kind == "f":
            arr = arr.astype("<f4" if arr.dtype.itemsize <= 4 else "<f8")
        elif arr.dtype.itemsize <= 4 and not (kind == "u" and arr.dtype.itemsize == 4):
            arr = arr.astype("<i4")
        elif kind == "u" and arr.dtype.itemsize == 8:
            arr = arr.astype("<u8")
        else:
            arr = arr.astype("<i8")
        data = np.ascontiguousarray(arr).tobytes()
        dtype = {"b": "bool", "f4": "float32", "f8": "float64", "i4": "int32", "i8": "int64", "u8": "uint64"}
        key = "b" if arr.dtype.kind == "b" else arr.dtype.kind + str(arr.dtype.itemsize)
        return {"name": name, "dtype": dtype[key], "shape": shape, "enc": "raw", "nbytes": len(data)}, data
    if kind == "M":
        values = [str(v) for v in np.datetime_as_string(arr.ravel(), unit="auto")]
        dtype = "datetime64[ns]"
    elif kind == "S":
        values = [base64.b64encode(v).decode("ascii") for v in arr.ravel().tolist()]
        dtype = "bytes"
    else:
        values = ["" if v is None else v if isinstance(v, str) else str(v) for v in arr.ravel().tolist()]
        dtype = "str"
    data = json.dumps(values, separators=(",", ":")).encode("utf-8")
    return {"name": name, "dtype": dtype, "shape": shape, "enc": "json", "nbytes": len(data)}, data


def from_predictions(np, predictions):
    """Named arrays from whatever predict returned: DataFrame columns, a Series, a dict of arrays, or one array."""
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None and isinstance(predictions, pd.DataFrame):
        named = [(str(c), predictions[c].to_numpy()) for c in predictions.columns]
        kind = "frame"
    elif pd is not None and isinstance(predictions, pd.Series):
        # MLflow answers a Series as the one-column DataFrame it makes of it: records keyed by its name (or 0).
        named = [(str(predictions.name if predictions.name is not None else 0), predictions.to_numpy())]
        kind = "frame"
    elif isinstance(predictions, dict):
        named = [(str(k), np.asarray(v)) for k, v in predictions.items()]
        kind = "dict"
    else:
        named = [("predictions", np.asarray(predictions))]
        kind = "array"
    columns = []
    buffers = []
    for name, arr in named:
        col, data = _encode_array(np, name, arr)
        columns.append(col)
        buffers.append(data)
    return {"kind": kind, "columns": columns}, buffers


def _error(header_id, error_code, message, stack_trace):
    return {"id": header_id, "ok": False, "error_code": error_code, "message": message, "stack_trace": stack_trace}


def _takes_params(model):
    """Whether predict accepts params (as MLflow checks before passing them; an old custom model may not)."""
    import inspect

    try:
        parameters = inspect.signature(model.predict).parameters
    except (TypeError, ValueError):
        return True
    return "params" in parameters or any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def serve(model, np, proto_in, proto_out, unsigned=False):
    takes_params = _takes_params(model)
    while True:
        frame = read_frame(proto_in)
        if frame is None:
            return
        header, payload = frame
        rid = header.get("id")
        op = header.get("op")
        if op == "ping":
            write_frame(proto_out, {"id": rid, "ok": True, "op": "pong"})
            continue
        if op != "predict":
            write_frame(proto_out, _error(rid, "INTERNAL_ERROR", "Unknown worker operation %r" % (op,), None))
            continue
        try:
            data = to_model_input(np, header, payload, unsigned)
        except Exception:
            write_frame(proto_out, _error(rid, "BAD_REQUEST", "The worker could not decode its input.", traceback.format_exc()))
            continue
        params = header.get("params")
        try:
            predictions = model.predict(data, params=params) if params and takes_params else model.predict(data)
        except Exception as e:
            code, message = "BAD_REQUEST", MODEL_ERROR
            # MLflow's own errors (schema enforcement) keep their code and message, as mlflow models serve answers.
            if type(e).__name__ == "MlflowException" and hasattr(e, "error_code"):
                code, message = str(e.error_code), "Failed to predict data. \nError: %s" % (getattr(e, "message", str(e)),)
            write_frame(proto_out, _error(rid, code, message, traceback.format_exc()))
            continue
        try:
            out_header, buffers = from_predictions(np, predictions)
        except Exception:
            write_frame(proto_out, _error(rid, "BAD_REQUEST", "The model returned predictions the server cannot send back.", traceback.format_exc()))
            continue
        out_header.update({"id": rid, "ok": True})
        write_frame(proto_out, out_header, buffers)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: strata_worker.py MODEL_PATH FLAVOR_JSON\n")
        return 2
    model_path = argv[1]
    conf = json.loads(argv[2])
    proto_in, proto_out = _protocol_streams()
    try:
        import numpy as np

        try:
            # Imported now rather than at the first call, so the warm-up and the first request do not pay for it.
            import pandas  # noqa: F401
        except ImportError:
            pass
        model, how = load_model(model_path, conf, conf.get("use_mlflow", "auto"))
    except BaseException as e:  # noqa: BLE001 - any failure to load is reported to the server, then the worker exits
        write_frame(
            proto_out,
            {"id": 0, "ok": False, "error_code": "INTERNAL_ERROR", "message": "%s: %s" % (type(e).__name__, e), "stack_trace": traceback.format_exc()},
        )
        return 1
    write_frame(
        proto_out,
        {"id": 0, "ok": True, "op": "ready", "pid": os.getpid(), "loader": how, "python": sys.version.split()[0]},
    )
    serve(model, np, proto_in, proto_out, bool(conf.get("strata_no_signature")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
