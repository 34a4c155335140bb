"""quicksight-sim seen by another AWS client: boto3, unchanged, with endpoint_url.

Checks what a Python user of the simulator would rely on: QuickSight's paths,
status codes, error names, timestamps and limits.
"""

import io
import json
import os
import zipfile
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"
DASHBOARD = "sales-overview"
ROOT = Path(__file__).resolve().parents[2]


def sim_binary():
    target = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
    if not target.is_absolute():
        target = ROOT / target
    path = os.environ.get("QUICKSIGHT_SIM_BIN") or target / "debug" / "quicksight-sim"
    if not Path(path).exists():
        pytest.fail(f"{path} is missing: build the workspace first (cargo build --workspace --all-targets)")
    return str(path)


@pytest.fixture
def sim(request):
    """Starts the simulator with the given extra flags; yields its URL."""
    flags = {"--addr": "127.0.0.1:0", "--job-duration-ms": "400", "--queued-ms": "50"}
    flags.update(getattr(request, "param", {}))
    proc = subprocess.Popen(
        [sim_binary(), *(part for flag in flags.items() for part in flag)],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on http://"), line
    yield line.removeprefix("listening on ")
    proc.terminate()
    proc.wait(timeout=5)


def client(url):
    # One attempt per call, as the functions are configured: limits surface.
    return boto3.client(
        "quicksight",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def start(qs, job_id, tenant="acme"):
    kwargs = dict(
        AwsAccountId=ACCOUNT,
        DashboardId=DASHBOARD,
        SnapshotJobId=job_id,
        SnapshotConfiguration={
            "FileGroups": [
                {"Files": [{"FormatType": "PDF", "SheetSelections": [{"SheetId": "summary", "SelectionScope": "ALL_VISUALS"}]}]},
                {"Files": [{"FormatType": "CSV", "SheetSelections": [{"SheetId": "details", "SelectionScope": "SELECTED_VISUALS", "VisualIds": ["orders"]}]}]},
            ],
            "DestinationConfiguration": {
                "S3Destinations": [{"BucketConfiguration": {"BucketName": "exports", "BucketPrefix": f"snap/{job_id}", "BucketRegion": REGION}}]
            },
        },
    )
    if tenant:
        kwargs["UserConfiguration"] = {"AnonymousUsers": [{"RowLevelPermissionTags": [{"Key": "tenant", "Value": tenant}]}]}
    return qs.start_dashboard_snapshot_job(**kwargs)


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_a_job_goes_from_start_to_result(sim):
    qs = client(sim)
    started = start(qs, "job-1")
    assert started["Status"] == 202
    assert started["SnapshotJobId"] == "job-1"
    assert started["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]

    described = qs.describe_dashboard_snapshot_job(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, SnapshotJobId="job-1")
    assert described["JobStatus"] in ("QUEUED", "RUNNING")
    # Epoch-second timestamps arrive as datetimes; tag values never come back.
    assert described["CreatedTime"].year >= 2024
    assert described["UserConfiguration"] == {"AnonymousUsers": [{"RowLevelPermissionTagKeys": ["tenant"]}]}

    with pytest.raises(qs.exceptions.PreconditionNotMetException) as early:
        qs.describe_dashboard_snapshot_job_result(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, SnapshotJobId="job-1")
    assert early.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "has not reached a terminal state" in early.value.response["Error"]["Message"]

    for _ in range(50):
        status = qs.describe_dashboard_snapshot_job(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, SnapshotJobId="job-1")["JobStatus"]
        if status == "COMPLETED":
            break
        time.sleep(0.12)
    assert status == "COMPLETED"
    result = qs.describe_dashboard_snapshot_job_result(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, SnapshotJobId="job-1")
    groups = result["Result"]["AnonymousUsers"][0]["FileGroups"]
    uris = [s3["S3Uri"] for g in groups for s3 in g["S3Results"]]
    assert uris == ["s3://exports/snap/job-1/summary-1.pdf", "s3://exports/snap/job-1/details-2.csv"]


def test_a_reused_job_id_is_resource_exists(sim):
    qs = client(sim)
    start(qs, "job-x")
    with pytest.raises(qs.exceptions.ResourceExistsException) as again:
        start(qs, "job-x")
    assert again.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


@pytest.mark.parametrize("sim", [{"--job-duration-ms": "30000", "--calls-per-second": "1000"}], indirect=True)
def test_the_13th_running_job_is_limit_exceeded(sim):
    qs = client(sim)
    for i in range(12):
        start(qs, f"cap-{i}")
    with pytest.raises(qs.exceptions.LimitExceededException) as limit:
        start(qs, "cap-12")
    assert limit.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_more_than_ten_calls_a_second_are_throttled(sim):
    qs = client(sim)

    def describe(_):
        try:
            qs.describe_dashboard_snapshot_job(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, SnapshotJobId="nope")
            return "ok"
        except qs.exceptions.ThrottlingException as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            return "throttled"
        except qs.exceptions.ResourceNotFoundException:
            return "not-found"

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(describe, range(40)))
    elapsed = time.monotonic() - began
    assert outcomes.count("throttled") >= 1
    # At most 10 calls are answered per second of the burst.
    assert outcomes.count("not-found") <= 10 * (int(elapsed) + 1), (outcomes, elapsed)


def test_invalid_requests_are_invalid_parameter_value(sim):
    qs = client(sim)
    with pytest.raises(qs.exceptions.InvalidParameterValueException):
        qs.start_dashboard_snapshot_job(
            AwsAccountId=ACCOUNT,
            DashboardId=DASHBOARD,
            SnapshotJobId="bad",
            SnapshotConfiguration={
                "FileGroups": [
                    {"Files": [{"FormatType": "CSV", "SheetSelections": [{"SheetId": "s", "SelectionScope": "ALL_VISUALS"}]}]}
                ],
                "DestinationConfiguration": {
                    "S3Destinations": [{"BucketConfiguration": {"BucketName": "b", "BucketPrefix": "p", "BucketRegion": REGION}}]
                },
            },
        )


def test_an_asset_bundle_export_can_be_downloaded(sim):
    qs = client(sim)
    arn = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/{DASHBOARD}"
    qs.start_asset_bundle_export_job(
        AwsAccountId=ACCOUNT, AssetBundleExportJobId="backup", ResourceArns=[arn], ExportFormat="CLOUDFORMATION_JSON"
    )
    for _ in range(50):
        job = qs.describe_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="backup")
        if job["JobStatus"] == "SUCCESSFUL":
            break
        assert job["JobStatus"] in ("QUEUED_FOR_IMMEDIATE_EXECUTION", "IN_PROGRESS")
        time.sleep(0.12)
    assert job["JobStatus"] == "SUCCESSFUL"
    with urllib.request.urlopen(job["DownloadUrl"]) as response:
        body = response.read()
    bundle = zipfile.ZipFile(io.BytesIO(body))
    assert bundle.testzip() is None
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["ResourceArns"] == [arn]


def start_bundle(qs, job_id, dashboard=DASHBOARD):
    arn = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/{dashboard}"
    return qs.start_asset_bundle_export_job(
        AwsAccountId=ACCOUNT, AssetBundleExportJobId=job_id, ResourceArns=[arn], ExportFormat="QUICKSIGHT_JSON"
    )


@pytest.mark.parametrize("sim", [{"--job-duration-ms": "10000"}], indirect=True)
def test_the_6th_bundle_export_in_flight_is_limit_exceeded(sim):
    qs = client(sim)
    for i in range(5):
        start_bundle(qs, f"bundle-{i}")
    with pytest.raises(qs.exceptions.LimitExceededException):
        start_bundle(qs, "bundle-5")


@pytest.mark.parametrize("sim", [{"--stale-bundle-urls": "1", "--bundle-url-ttl-seconds": "60"}], indirect=True)
def test_a_stale_download_url_is_refused_and_the_next_describe_gives_a_fresh_one(sim):
    qs = client(sim)
    start_bundle(qs, "stale")
    time.sleep(0.5)
    first = qs.describe_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="stale")
    assert first["JobStatus"] == "SUCCESSFUL"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(first["DownloadUrl"])
    assert refused.value.code == 403
    fresh = qs.describe_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="stale")
    assert fresh["DownloadUrl"] != first["DownloadUrl"]
    with urllib.request.urlopen(fresh["DownloadUrl"]) as response:
        assert zipfile.ZipFile(io.BytesIO(response.read())).testzip() is None


@pytest.mark.parametrize("sim", [{"--dashboards": ",".join(f"d{i}" for i in range(1, 8))}], indirect=True)
def test_list_dashboards_pages_the_known_dashboards(sim):
    qs = client(sim)
    pages = list(qs.get_paginator("list_dashboards").paginate(AwsAccountId=ACCOUNT, PaginationConfig={"PageSize": 3}))
    assert [len(p["DashboardSummaryList"]) for p in pages] == [3, 3, 1]
    ids = [d["DashboardId"] for p in pages for d in p["DashboardSummaryList"]]
    assert ids == [f"d{i}" for i in range(1, 8)]
    assert pages[0]["DashboardSummaryList"][0]["Arn"] == f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/d1"
    # A missing dashboard fails the export with an error naming it.
    start_bundle(qs, "missing", dashboard="nope")
    time.sleep(0.5)
    job = qs.describe_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="missing")
    assert job["JobStatus"] == "FAILED"
    assert job["Errors"][0]["Arn"].endswith(":dashboard/nope")


def stats(url):
    with urllib.request.urlopen(f"{url}/_sim/stats") as response:
        return json.loads(response.read())


@pytest.mark.parametrize("sim", [{"--faults": "reset=0.5", "--fault-seed": "3", "--calls-per-second": "1000"}], indirect=True)
def test_a_reset_fault_drops_the_connection_and_the_simulator_serves_on(sim):
    qs = client(sim)
    answered = dropped = 0
    for i in range(30):
        try:
            qs.describe_dashboard_snapshot_job(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, SnapshotJobId=f"none-{i}")
        except qs.exceptions.ResourceNotFoundException:
            answered += 1
        except Exception as e:  # botocore's connection errors have no common base here
            assert "Connection" in type(e).__name__ or "connection" in str(e).lower(), repr(e)
            dropped += 1
    assert answered > 5 and dropped > 5, (answered, dropped)
    # urllib3 may send a request again on a fresh connection after a drop:
    # each drop the caller saw is a fault, not every fault a drop it saw.
    assert stats(sim)["faults_injected"] >= dropped


@pytest.mark.parametrize("sim", [{"--faults": "lost-reply=1"}], indirect=True)
def test_a_lost_reply_starts_the_job_but_the_caller_sees_a_reset(sim):
    qs = client(sim)
    with pytest.raises(Exception) as lost:
        start(qs, "lost-1")
    assert not isinstance(lost.value, qs.exceptions.ClientError), repr(lost.value)
    assert stats(sim)["jobs_started"] == 1


@pytest.mark.parametrize("sim", [{"--faults": "internal=1"}], indirect=True)
def test_an_internal_fault_is_a_500_and_does_nothing(sim):
    qs = client(sim)
    with pytest.raises(qs.exceptions.InternalFailureException) as failed:
        start(qs, "internal-1")
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert stats(sim)["jobs_started"] == 0


POLICIES = {
    "AKIASTARTER": {
        "principal": f"arn:aws:iam::{ACCOUNT}:role/start-job",
        "statements": [
            {
                "Effect": "Allow",
                "Action": ["quicksight:StartDashboardSnapshotJob", "quicksight:DescribeDashboardSnapshotJob"],
                "Resource": f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/{DASHBOARD}",
            }
        ],
    }
}


@pytest.fixture
def policies_file(tmp_path):
    path = tmp_path / "policies.json"
    path.write_text(json.dumps(POLICIES))
    return str(path)


def signed_client(url, key):
    return boto3.client(
        "quicksight",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def test_with_iam_policies_a_caller_may_do_what_its_policy_allows_and_nothing_else(policies_file):
    flags = ["--addr", "127.0.0.1:0", "--job-duration-ms", "400", "--queued-ms", "50", "--iam-policies", policies_file]
    proc = subprocess.Popen([sim_binary(), *flags], stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        starter = signed_client(url, "AKIASTARTER")
        assert start(starter, "allowed")["Status"] == 202
        starter.describe_dashboard_snapshot_job(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, SnapshotJobId="allowed")
        # An action its policy does not list, on the same dashboard.
        with pytest.raises(starter.exceptions.AccessDeniedException) as denied:
            starter.describe_dashboard_snapshot_job_result(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD, SnapshotJobId="allowed")
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
        message = denied.value.response["Error"]["Message"]
        assert "role/start-job" in message and "quicksight:DescribeDashboardSnapshotJobResult" in message
        # Another dashboard.
        with pytest.raises(starter.exceptions.AccessDeniedException):
            starter.list_dashboards(AwsAccountId=ACCOUNT)
        # A key nobody has.
        with pytest.raises(ClientError) as unknown:
            start(signed_client(url, "AKIANOBODY"), "nobody")
        assert error_code(unknown) == "UnrecognizedClientException"
        assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    finally:
        proc.terminate()
        proc.wait(timeout=5)
