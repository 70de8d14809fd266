"""Microsoft.Resources: the subscriptions a caller sees, and resource groups, which every other resource lives in
(admins create them with a PUT)."""

from __future__ import annotations

from azure_emulator.arm import common, operations, rbac, request_limits, resource_types, routing
from azure_emulator.server import ApiError, Context, Request, Response


def visible_subscriptions(ctx: Context, request: Request) -> dict[str, str]:
    """The subscriptions a caller sees in `GET /subscriptions` ("Subscriptions - List",
    https://learn.microsoft.com/rest/api/resources/subscriptions/list), each with the tenant it belongs to: an app
    those it holds a role in, at the subscription or below, and those delegated to its tenant through Azure Lighthouse
    (the customer's, https://learn.microsoft.com/azure/lighthouse/concepts/cross-tenant-management-experience); the
    tenant's administrator every subscription with a resource group of the tenant."""
    claims = request.claims or {}
    tid = common.tid_of(request)
    if not rbac.checked(request):
        groups = common.of_type(
            ctx, "Microsoft.Resources/resourceGroups", where=lambda d: d.get("meta", {}).get("tid") == tid
        )
        return {
            str(d["resource"]["id"]).split("/")[2].lower(): tid
            for d in sorted(groups, key=lambda d: d["resource"]["id"])
        }
    principal = str(claims.get("oid") or "").lower()
    found: dict[str, str] = {}
    for entry in ctx.store.scan(rbac.DELEGATION_INDEX, f"{tid.lower()}/{principal}/"):
        assignment = common.get(ctx, entry["id"])
        if assignment is not None:
            found[str(entry["scope"]).split("/")[2].lower()] = str(assignment["meta"]["tid"])
    for entry in ctx.store.scan(rbac.ASSIGNMENT_INDEX, f"{principal}/"):
        assignment = common.get(ctx, entry["id"])
        # only the token's own tenant's subscriptions: a user's object id is the emulator's across tenants
        # (development_issuer.user_object_id), as a guest's role elsewhere is no role in this tenant
        if str(entry["scope"]).count("/") >= 2 and assignment is not None and assignment["meta"].get("tid") == tid:
            found[str(entry["scope"]).split("/")[2].lower()] = tid
    return found


def register(ctx: Context) -> None:
    group = common.RG

    def list_subscriptions(request: Request) -> Response:
        status = 500
        try:
            limits = request_limits.admit(ctx, request)  # a tenant-level read
            if not request.q("api-version"):
                raise ApiError(
                    400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required."
                )
            with ctx.store.transaction():
                resource_types.check(request, lambda: None, lambda: True)
                ctx.controls.raise_fault(request.operation)
                tid = common.tid_of(request)
                # Azure names a subscription when it is bought; the emulator has no such moment, so it names each
                # after its id (in Azure the name is its owner's choice)
                value = [
                    {
                        "id": f"/subscriptions/{sub}",
                        "subscriptionId": sub,
                        "tenantId": home,  # the subscription's own tenant; the tenants managing it by delegation
                        "managedByTenants": [{"tenantId": tid}] if home != tid else [],
                        "displayName": f"Azure subscription {sub[:8]}",
                        "state": "Enabled",
                        "authorizationSource": "RoleBased",
                    }
                    for sub, home in sorted(visible_subscriptions(ctx, request).items())
                ]
            status = 200
            return Response(200, {"value": value, "count": {"type": "Total", "value": len(value)}}, limits)
        except ApiError as exc:
            status = exc.status
            raise
        finally:
            ctx.controls.log_request(request, status)

    ctx.router.route("GET", r"/arm/subscriptions", operation="listSubscriptions", api="arm", faults=False)(
        list_subscriptions
    )

    @routing.route(
        ctx,
        "PUT",
        group,
        operation="createResourceGroup",
        action="Microsoft.Resources/subscriptions/resourceGroups/write",
    )
    def put_group(request: Request) -> Response:
        sub, rg = request.params["sub"], request.params["rg"]
        body = common.body_object(request)
        existing = common.get(ctx, common.group_id(sub, rg))
        if existing is not None:
            if existing["resource"]["properties"]["provisioningState"] == "Deleting":
                raise ApiError(409, "ResourceGroupBeingDeleted", f"The resource group '{rg}' is being deleted.")
            if "tags" in body:
                existing["resource"]["tags"] = body.get("tags") or {}
            common.put(ctx, existing)
            return Response(200, common.shown(existing))
        doc = {
            "resource": {
                "id": common.group_id(sub, rg),
                "name": rg,
                "type": "Microsoft.Resources/resourceGroups",
                "location": common.location_of(body),
                "tags": body.get("tags") or {},
                "properties": {"provisioningState": "Succeeded"},
            },
            "meta": {"tid": common.tid_of(request)},
        }
        common.put(ctx, doc)
        return Response(201, common.shown(doc))

    @routing.route(
        ctx, "GET", group, operation="getResourceGroup", action="Microsoft.Resources/subscriptions/resourceGroups/read"
    )
    def get_group(request: Request) -> Response:
        return Response(200, common.shown(common.require_group(ctx, request.params["sub"], request.params["rg"])))

    @routing.route(
        ctx,
        "HEAD",
        group,
        operation="getResourceGroup",
        action="Microsoft.Resources/subscriptions/resourceGroups/read",
        kind="read",
    )
    def head_group(request: Request) -> Response:
        found = common.get(ctx, common.group_id(request.params["sub"], request.params["rg"]))
        return Response(204 if found else 404)

    @routing.route(
        ctx,
        "GET",
        common.SUB + r"/resourceGroups",
        operation="listResourceGroups",
        action="Microsoft.Resources/subscriptions/resourceGroups/read",
    )
    def list_groups(request: Request) -> Response:
        prefix = f"/subscriptions/{request.params['sub']}/resourcegroups/".lower()
        docs = ctx.store.scan(common.RESOURCE, prefix, where=lambda d: d["resource"]["type"].endswith("resourceGroups"))
        return common.listing(ctx, request, docs)

    @routing.route(
        ctx,
        "DELETE",
        group,
        operation="deleteResourceGroup",
        action="Microsoft.Resources/subscriptions/resourceGroups/delete",
        faults=False,
    )
    def delete_group(request: Request) -> Response:
        sub, rg = request.params["sub"], request.params["rg"]
        doc = common.get(ctx, common.group_id(sub, rg))
        if doc is None:
            return Response(404, {"error": {"code": "ResourceGroupNotFound", "message": f"'{rg}' was not found."}})
        return operations.respond(
            ctx,
            request,
            resource_id=doc["resource"]["id"],
            action="delete",
            names=("deleteResourceGroup",),
            sync_status=200,
            location=doc["resource"]["location"],
        )

    @operations.on("microsoft.resources/resourcegroups", "delete")
    def _delete_everything_in_it(ctx: Context, resource_id: str, op: dict[str, object]) -> None:
        prefix = common.key(resource_id) + "/"
        for resource_key in ctx.store.keys(common.RESOURCE, prefix):
            ctx.store.delete(common.RESOURCE, resource_key)
        common.delete(ctx, resource_id)
