"""IAM in the local engine: what moto's own check does, and what it adds here.

moto checks IAM once `INITIAL_NO_AUTH_ACTION_COUNT` requests have been
served (the stack sets it to 0 through `/moto-api/reset-auth` once its
resources exist). Its check, read from moto 5.2.5 (`moto/core/authorization.py`,
`moto/iam/access_control.py`), covers:

- authentication: the access key must be an IAM user's or an assumed role's
  (STS AssumeRole), the session token must match, and the SigV4 signature
  of the Authorization header is computed again and compared;
- identity policies (inline and attached) of that user or role: Action and
  NotAction with wildcards, explicit Deny first, Resource with wildcards;
- the resource: for S3 the bucket or object ARN, for SQS the queue, for STS
  and IAM the role; for every other service "*", so a statement naming a
  DynamoDB table, a state machine or an event bus never matches and every
  call is refused;
- errors in the query/XML shape, for every service.

It does not cover resource policies (bucket policies, key policies, trust
policies other than AssumeRole's), Conditions other than a few on trust
policies, presigned URLs (a request without an Authorization header fails
with a 500), or KMS. This module fills the gaps the stack relies on:

- the resource of a DynamoDB call (its table, or index), a Step Functions
  call (its state machine or execution) and a PutEvents (each entry's bus),
  so that the template's resource-level statements are what decides;
- AccessDeniedException in the JSON shape those services answer with, so
  that the SDK reads it as the service's own error;
- presigned S3 URLs (the download links): the signer's key and session
  token are checked and its policies must allow the action on the object,
  and an expired link is refused; the signature itself is not recomputed;
- the engine's own calls (a Distributed Map reading its items from S3 and
  writing its results, the Lambda invocations it sends through the router)
  made as the state machine's role, whose credentials the stack writes to
  `$LOCAL_ENGINE_CREDENTIALS` (moto's engine otherwise signs them with a
  fixed key that is nobody's).
"""

from __future__ import annotations

import datetime
import json
import os
import threading
from urllib.parse import parse_qs, urlparse

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.iam.access_control import AssumedRoleAccessKey, IAMPolicy, IAMUserAccessKey, PermissionResult
from moto.s3.exceptions import S3AccessDeniedError

# The services whose calls name their resource in a JSON body.
JSON_SERVICES = {"dynamodb", "stepfunctions", "events"}


class JsonAccessDenied(JsonRESTError):
    """AccessDeniedException as DynamoDB, Step Functions and EventBridge answer it."""

    code = 400

    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)


def _params(response) -> dict:
    params = getattr(response, "params", None)
    if isinstance(params, dict) and params:
        return params
    body = getattr(response, "body", None)
    if isinstance(body, dict):
        return body
    try:
        return json.loads(body or "{}")
    except (TypeError, ValueError):
        return {}


def resources_of(response) -> list[str]:
    """The ARNs one call acts on, as IAM evaluates it; ["*"] for the others."""
    service = getattr(response, "service_name", "")
    if service not in JSON_SERVICES:
        return ["*"]
    region, account = response.region, response.current_account
    params = _params(response)
    if service == "dynamodb":
        tables = []
        if "TableName" in params:
            tables.append((params["TableName"], params.get("IndexName")))
        for key in ("RequestItems",):  # BatchGetItem, BatchWriteItem
            tables.extend((name, None) for name in params.get(key, {}) or {})
        for item in params.get("TransactItems", []) or []:
            for op in item.values():
                if isinstance(op, dict) and "TableName" in op:
                    tables.append((op["TableName"], None))
        arns = []
        for table, index in tables:
            arn = table if str(table).startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{table}"
            arns.append(f"{arn}/index/{index}" if index else arn)
        return arns or ["*"]
    if service == "stepfunctions":
        for key in ("executionArn", "stateMachineArn", "mapRunArn", "activityArn"):
            if key in params:
                return [params[key]]
        if "name" in params and response._get_action() == "CreateStateMachine":
            return [f"arn:aws:states:{region}:{account}:stateMachine:{params['name']}"]
        return ["*"]  # SendTaskSuccess and the like: no resource-level permission
    if service == "events":
        if response._get_action() != "PutEvents":
            name = params.get("EventBusName") or params.get("Name") or "default"
            return [name if name.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{name}"]
        arns = []
        for entry in params.get("Entries", []) or []:
            name = entry.get("EventBusName") or "default"
            arns.append(name if name.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{name}")
        return sorted(set(arns)) or ["*"]
    return ["*"]


def _enforced() -> bool:
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


_check_action = ActionAuthenticatorMixin._authenticate_and_authorize_action
_check_normal = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action


def _authorize_normal_action(self, resource: str = "*") -> None:
    resources = [resource] if resource != "*" else resources_of(self)
    service = getattr(self, "service_name", "")
    for arn in resources:
        try:
            _check_normal(self, arn)
        except Exception as error:  # moto's AccessDeniedError (XML) for any service
            if service in JSON_SERVICES and getattr(error, "error_type", "") == "AccessDenied":
                raise JsonAccessDenied(f"{error.message} on resource: {arn}") from None
            raise


def _presigned_access_key(account_id: str, query: dict) -> object | None:
    """The signer of a presigned URL, checked as moto checks a header's key."""
    credential = query.get("X-Amz-Credential", [""])[0]
    access_key_id = credential.split("/")[0]
    if not access_key_id:
        return None
    token = query.get("X-Amz-Security-Token", [None])[0]
    if token:
        return AssumedRoleAccessKey(account_id, "aws", access_key_id, {"X-Amz-Security-Token": token})
    return IAMUserAccessKey(account_id, "aws", access_key_id, {})


def _authorize_action(self, iam_request_cls, resource: str = "*") -> None:
    headers = self.headers
    if not _enforced() or "Authorization" in headers or "authorization" in headers:
        return _check_action(self, iam_request_cls, resource)
    query = parse_qs(urlparse(self.uri).query)
    if "X-Amz-Credential" not in query:
        raise S3AccessDeniedError()  # anonymous: the bucket is not public
    try:
        signer = _presigned_access_key(self.current_account, query)
    except Exception:
        raise S3AccessDeniedError() from None
    issued = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    lifetime = datetime.timedelta(seconds=int(query.get("X-Amz-Expires", ["0"])[0]))
    if datetime.datetime.now(datetime.timezone.utc) > issued + lifetime:
        raise S3AccessDeniedError()
    action = f"s3:{self.data.get('Action', 'GetObject')}"
    permitted = False
    for policy in signer.collect_policies():
        result = IAMPolicy(policy).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            raise S3AccessDeniedError()
        permitted = permitted or result == PermissionResult.PERMITTED
    if not permitted:
        raise S3AccessDeniedError()


_ENGINE_CREDENTIALS: dict | None = None


def _engine_credentials() -> dict | None:
    """The state machine role's keys, once the stack has written them (once, before any run)."""
    global _ENGINE_CREDENTIALS
    if _ENGINE_CREDENTIALS is None:
        path = os.environ.get("LOCAL_ENGINE_CREDENTIALS")
        if path and os.path.exists(path):
            with open(path) as f:
                _ENGINE_CREDENTIALS = json.load(f)
    return _ENGINE_CREDENTIALS


def install() -> None:
    """Patches moto in this process (the engine, engine.py)."""
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _authorize_normal_action
    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize_action

    import boto3

    # The modules that call boto_client_for, imported so it can be replaced in them.
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval import resource_eval_s3  # noqa: F401
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (  # noqa: F401
        resource_eval_s3 as result_writer_s3,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils  # noqa: F401
    from moto.stepfunctions.parser.asl.utils import boto_client as boto_client_module

    original = boto_client_module.boto_client_for
    # moto's engine makes a boto3 client for every task it runs; making one
    # (endpoint rules, an SSL context) was a tenth of the engine's time in
    # the 1,000-recipient run. boto3's clients are thread-safe, so one per
    # service, region and credentials serves every task.
    clients = {}
    clients_lock = threading.Lock()

    def boto_client_for(region, service, state_credentials=None):
        credentials = _engine_credentials()
        key = (region, service, credentials and credentials["AccessKeyId"])
        with clients_lock:
            client = clients.get(key)
            if client is None:
                client = original(region, service, state_credentials)
                if credentials is not None:
                    client = boto3.client(
                        service_name=service,
                        region_name=region,
                        endpoint_url=client.meta.endpoint_url,
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"],
                        config=client.meta.config,
                    )
                clients[key] = client
        return client

    boto_client_module.boto_client_for = boto_client_for
    import sys

    for module in list(sys.modules.values()):
        if getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for
