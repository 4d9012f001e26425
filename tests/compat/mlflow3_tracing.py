"""
Hand check of MLflow 3.5's tracing against a running Strata server (not run in CI).

    PYTHONPATH=/opt/mlflow3/src:/opt/mlflow3/deps MLFLOW_TRACKING_URI=http://127.0.0.1:PORT python3 tests/compat/mlflow3_tracing.py

Exercises mlflow.start_span, @mlflow.trace, mlflow.search_traces, MlflowClient().get_trace, trace tags,
log_feedback / log_expectation (with an override), delete_traces, and checks what comes back.
"""
import os
import time
import uuid

import mlflow
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource, AssessmentSourceType

os.environ.setdefault("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
client = MlflowClient()
experiment_id = mlflow.set_experiment("tracing-compat-" + uuid.uuid4().hex[:8]).experiment_id


@mlflow.trace(span_type="LLM")
def answer(question: str) -> str:
    with mlflow.start_span(name="retrieve", span_type="RETRIEVER") as span:
        span.set_inputs({"q": question})
        span.set_outputs(["doc-1", "doc-2"])
    return f"answer to {question}"


with mlflow.start_span(name="pipeline") as root:
    root.set_inputs({"question": "café?"})
    out = answer("café?")
    root.set_outputs(out)
    mlflow.update_current_trace(tags={"team": "compat"})

trace_id = mlflow.get_last_active_trace_id()
print("trace id:", trace_id)

trace = client.get_trace(trace_id)
names = sorted(s.name for s in trace.data.spans)
print("spans:", names)
assert names == ["answer", "pipeline", "retrieve"], names
assert trace.info.state.value == "OK", trace.info.state
assert trace.info.tags.get("team") == "compat", trace.info.tags
retrieve = next(s for s in trace.data.spans if s.name == "retrieve")
assert retrieve.inputs == {"q": "café?"}, retrieve.inputs
assert retrieve.outputs == ["doc-1", "doc-2"], retrieve.outputs

mlflow.set_trace_tag(trace_id, "reviewed", "yes")
mlflow.delete_trace_tag(trace_id, "team")
info = client.get_trace(trace_id).info
assert info.tags.get("reviewed") == "yes" and "team" not in info.tags, info.tags

feedback = mlflow.log_feedback(
    trace_id=trace_id, name="correctness", value=0.4, rationale="partly right",
    source=AssessmentSource(source_type=AssessmentSourceType.LLM_JUDGE, source_id="judge"),
)
expectation = mlflow.log_expectation(
    trace_id=trace_id, name="expected", value={"answer": "oui", "refs": [1, 2]},
    source=AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="alice"),
)
override = mlflow.override_feedback(trace_id=trace_id, assessment_id=feedback.assessment_id, value=0.9, rationale="re-checked")
fetched = mlflow.get_assessment(trace_id, feedback.assessment_id)
assert fetched.valid is False, fetched
assert mlflow.get_assessment(trace_id, override.assessment_id).value == 0.9
assert mlflow.get_assessment(trace_id, expectation.assessment_id).value == {"answer": "oui", "refs": [1, 2]}
updated = mlflow.update_assessment(trace_id=trace_id, assessment_id=override.assessment_id,
                                   assessment=mlflow.entities.Feedback(name="correctness", value=1.0))
assert updated.value == 1.0, updated
assessments = client.get_trace(trace_id).info.assessments
print("assessments:", [(a.name, a.valid) for a in assessments])
assert len(assessments) == 3

# A second trace, then search with the filter grammar and order_by.
with mlflow.start_span(name="other"):
    time.sleep(0.01)
found = mlflow.search_traces(locations=[experiment_id], filter_string="tags.reviewed = 'yes'", return_type="list")
assert [t.info.trace_id for t in found] == [trace_id], found
by_time = mlflow.search_traces(locations=[experiment_id], order_by=["timestamp_ms ASC"], return_type="list")
assert len(by_time) == 2 and by_time[0].info.trace_id == trace_id, by_time
assert by_time[0].data.spans, "search_traces must load spans"
by_span = mlflow.search_traces(locations=[experiment_id], filter_string="span.name = 'retrieve'", return_type="list")
print("span.name search:", [t.info.trace_id for t in by_span])
df = mlflow.search_traces(locations=[experiment_id], filter_string="attributes.status = 'OK'")
assert len(df) == 2, df
print("dataframe columns:", list(df.columns)[:8])

by_duration = mlflow.search_traces(locations=[experiment_id], order_by=["execution_time_ms DESC"], max_results=1, return_type="list")
assert len(by_duration) == 1, by_duration

# MLflow 3.5's filter correlation through the client's own REST store.
from mlflow.tracking._tracking_service.utils import _get_store
correlation = _get_store().calculate_trace_filter_correlation(
    experiment_ids=[experiment_id], filter_string1="tags.reviewed = 'yes'", filter_string2="attributes.status = 'OK'")
print("correlation:", correlation)
assert (correlation.total_count, correlation.filter1_count, correlation.filter2_count, correlation.joint_count) == (2, 1, 2, 1), correlation

deleted = client.delete_traces(experiment_id=experiment_id, trace_ids=[trace_id])
assert deleted == 1, deleted
print("OK: MLflow", mlflow.__version__, "tracing works against", mlflow.get_tracking_uri())
