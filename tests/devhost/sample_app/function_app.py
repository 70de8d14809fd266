"""Test-only app for the devhost tests: one function per behaviour the host must reproduce."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

try:  # the Durable engine's own sample blueprint, when it is present
    durable_sample: Any = importlib.import_module("tests.devhost.durable_sample")
except ImportError:
    durable_sample = None
sample_globals = vars(durable_sample) if durable_sample is not None else {}
for blueprint in [v for v in sample_globals.values() if isinstance(v, df.Blueprint)]:
    app.register_functions(blueprint)

# what the non-HTTP functions saw, read back by the tests through GET api/observed/{kind}
OBSERVED: dict[str, list[dict[str, Any]]] = {"timer": [], "daily": [], "queue": [], "text": []}


def _json(value: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(value), status_code=status, mimetype="application/json")


@app.route(route="items/{id:int}", methods=["GET"])
def item_by_id(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"kind": "id", "id": req.route_params["id"]})


@app.route(route="items/{name:alpha}", methods=["GET", "DELETE"])
def item_by_name(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"kind": "name", "name": req.route_params["name"], "method": req.method})


@app.route(route="pages/{section}/{page?}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def pages(req: func.HttpRequest) -> func.HttpResponse:
    return _json(dict(req.route_params))


@app.route(route="echo", methods=["POST", "PUT"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(
            {
                "method": req.method,
                "url": req.url,
                "query": dict(req.params),
                "header": req.headers.get("x-sample"),
                "body": req.get_body().decode("utf-8"),
                "json": req.get_json() if req.headers.get("content-type") == "application/json" else None,
            }
        ),
        status_code=201,
        headers={"x-sample-reply": "yes"},
        mimetype="application/json",
    )


@app.route(route="async-hello", methods=["GET"])
async def async_hello(req: func.HttpRequest) -> str:
    await asyncio.sleep(0)
    return f"hello {req.params.get('name', 'nobody')}"


@app.route(route="boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("boom on purpose")


@app.route(route="settings/{name}", methods=["GET"])
def setting(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"value": os.environ.get(req.route_params["name"])})


@app.route(route="observed/{kind}", methods=["GET"])
def observed(req: func.HttpRequest) -> func.HttpResponse:
    return _json(OBSERVED.get(req.route_params["kind"], []))


@app.timer_trigger(schedule="%SAMPLE_TIMER_SCHEDULE%", arg_name="timer", run_on_startup=True)
def every_second(timer: func.TimerRequest) -> None:
    OBSERVED["timer"].append({"past_due": timer.past_due})


@app.timer_trigger(schedule="%SAMPLE_DAILY_SCHEDULE%", arg_name="timer")
def daily(timer: func.TimerRequest) -> None:
    OBSERVED["daily"].append({"past_due": timer.past_due, "status": getattr(timer, "schedule_status", None)})


@app.queue_trigger(arg_name="msg", queue_name="%SAMPLE_QUEUE%", connection="AzureWebJobsStorage")
async def work_item(msg: func.QueueMessage) -> None:
    body = msg.get_body().decode("utf-8")
    OBSERVED["queue"].append({"body": body, "dequeue_count": msg.dequeue_count, "id": msg.id})
    if body.startswith("fail"):
        raise ValueError(f"cannot process {body}")


@app.queue_trigger(arg_name="text", queue_name="sample-text", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="forward", queue_name="sample-forwarded", connection="AzureWebJobsStorage")
def text_item(text: str, forward: func.Out[str]) -> None:
    OBSERVED["text"].append({"body": text})
    forward.set(text.upper())


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_orchestration(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    payload = req.get_json() if req.get_body() else None
    instance_id = await client.start_new(req.route_params["name"], None, payload)
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def greet_all(context: df.DurableOrchestrationContext) -> Any:
    names = context.get_input() or []
    greetings = []
    for name in names:
        greetings.append((yield context.call_activity("greet", name)))
    return greetings


@app.activity_trigger(input_name="name")
def greet(name: str) -> str:
    return f"{os.environ.get('SAMPLE_GREETING', 'hi')}, {name}"
