"""Test-only app for the devhost tests: one function per behaviour the host must reproduce."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import threading
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
# an app may log while it is imported: in a worker process the line reaches the host before its "ready"
logging.getLogger(__name__).info("sample app loading in process %d", os.getpid())

# the Durable engine's own sample blueprint: a missing or broken one fails the load, not a test's skip
durable_sample = importlib.import_module("tests.devhost.durable_sample")
for blueprint in [v for v in vars(durable_sample).values() if isinstance(v, df.Blueprint)]:
    app.register_functions(blueprint)

# what the non-HTTP functions saw, read back by the tests through GET api/observed/{kind}
OBSERVED: dict[str, list[dict[str, Any]]] = {
    "timer": [],
    "daily": [],
    "queue": [],
    "text": [],
    "held": [],
    "cancelled": [],
    "slow": [],
}
# rendezvous points and gates for the concurrency and timeout tests, by name (one test, one name)
_SYNC = threading.Lock()
_BARRIERS: dict[str, threading.Barrier] = {}
_GATES: dict[str, threading.Event] = {}
_ARRIVALS: dict[str, list[asyncio.Event]] = {}
MEET_TIMEOUT_S = 20.0  # only reached when the host fails to run two invocations at once
HOLD_S = 30.0  # how long a held invocation waits for its release before giving up


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


def _gate(name: str) -> threading.Event:
    with _SYNC:
        return _GATES.setdefault(name, threading.Event())


@app.route(route="pid", methods=["GET"])
def pid(req: func.HttpRequest) -> func.HttpResponse:
    logging.getLogger("sample").info("pid %d answered", os.getpid())
    return _json({"pid": os.getpid()})


@app.route(route="crash/{pid:int}", methods=["POST"])
def crash(req: func.HttpRequest) -> func.HttpResponse:
    """Ends this process abruptly, but only when it is the one named: a worker process, never the host."""
    if os.getpid() != int(req.route_params["pid"]):
        return _json({"pid": os.getpid()}, 409)
    os._exit(3)


@app.route(route="rendezvous/{name}", methods=["GET"])
def rendezvous(req: func.HttpRequest) -> func.HttpResponse:
    """Answers once a second call with the same name has arrived: only calls that run at once can meet."""
    with _SYNC:
        barrier = _BARRIERS.setdefault(req.route_params["name"], threading.Barrier(2))
    try:
        barrier.wait(timeout=MEET_TIMEOUT_S)
    except threading.BrokenBarrierError:
        return _json({"met": False}, 409)
    return _json({"met": True})


@app.route(route="rendezvous-async/{name}", methods=["GET"])
async def rendezvous_async(req: func.HttpRequest) -> func.HttpResponse:
    """The same on the event loop: each call waits for the other's arrival without blocking the loop."""
    mine = asyncio.Event()
    with _SYNC:
        arrivals = _ARRIVALS.setdefault(req.route_params["name"], [])
        arrivals.append(mine)
        everyone = list(arrivals)
    if len(everyone) >= 2:
        for arrival in everyone:
            arrival.set()
    try:
        await asyncio.wait_for(mine.wait(), MEET_TIMEOUT_S)
    except TimeoutError:
        return _json({"met": False}, 409)
    return _json({"met": True})


@app.route(route="hold/{name}", methods=["GET"])
def hold(req: func.HttpRequest) -> func.HttpResponse:
    """Waits until POST release/{name} (or HOLD_S): a function that outlives a short functionTimeout."""
    name = req.route_params["name"]
    released = _gate(name).wait(HOLD_S)
    OBSERVED["held"].append({"name": name, "released": released})
    return _json({"released": released})


@app.route(route="release/{name}", methods=["POST"])
def release(req: func.HttpRequest) -> func.HttpResponse:
    _gate(req.route_params["name"]).set()
    return func.HttpResponse(status_code=204)


@app.route(route="nap/{name}", methods=["GET"])
async def nap(req: func.HttpRequest) -> str:
    """An async function that outlives a short functionTimeout; records being cancelled."""
    try:
        await asyncio.sleep(HOLD_S)
    except asyncio.CancelledError:
        OBSERVED["cancelled"].append({"name": req.route_params["name"]})
        raise
    return "woke up"


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


@app.queue_trigger(arg_name="text", queue_name="%SAMPLE_TEXT_QUEUE%", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="forward", queue_name="sample-forwarded", connection="AzureWebJobsStorage")
def text_item(text: str, forward: func.Out[str]) -> None:
    OBSERVED["text"].append({"body": text})
    forward.set(text.upper())


@app.queue_trigger(arg_name="msg", queue_name="%SAMPLE_SLOW_QUEUE%", connection="AzureWebJobsStorage")
def slow_item(msg: func.QueueMessage) -> None:
    """Holds each message until POST release/<body> (or HOLD_S)."""
    body = msg.get_body().decode("utf-8")
    OBSERVED["slow"].append({"body": body, "dequeue_count": msg.dequeue_count})
    _gate(body).wait(HOLD_S)


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_orchestration(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    payload = req.get_json() if req.get_body() else None
    instance_id = await client.start_new(req.route_params["name"], None, payload, version=req.params.get("version"))
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
