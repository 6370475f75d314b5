"""A local BigQuery REST endpoint (and OAuth token endpoint) for google-cloud-bigquery.

It answers exactly the calls the real client makes for ``query_and_wait`` and its paging,
with the shapes recorded in shared/reference/stack-notes.md: ``POST /token`` (service
account JWT grant), ``POST /bigquery/v2/projects/{p}/queries`` and
``GET /bigquery/v2/projects/{p}/queries/{jobId}?pageToken=...``. Only the
INFORMATION_SCHEMA.COLUMNS query Reflekt sends (and ``select 1``) is understood.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from werkzeug import Request, Response

TOKEN = "ya29.reflekt-test-token"
FIELDS = [{"name": "table_name", "type": "STRING", "mode": "NULLABLE"},
          {"name": "column_name", "type": "STRING", "mode": "NULLABLE"},
          {"name": "data_type", "type": "STRING", "mode": "NULLABLE"},
          {"name": "is_nullable", "type": "STRING", "mode": "NULLABLE"},
          {"name": "ordinal_position", "type": "INTEGER", "mode": "NULLABLE"}]
_COLUMNS_QUERY = re.compile(r"from\s+`([^`.]+)\.([^`]+)`\.INFORMATION_SCHEMA\.COLUMNS", re.I)


def _error(code: int, status: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message, "status": status,
                      "errors": [{"message": message, "domain": "global", "reason": status.lower()}]}}
    return Response(json.dumps(body), status=code, content_type="application/json")


class FakeBigQuery:
    def __init__(self, project: str, page_size: int = 5000):
        self.project = project
        self.page_size = page_size
        self.datasets: dict[str, dict[str, list[tuple[str, str]]]] = {}
        self.jobs: dict[str, list[list[Any]]] = {}
        self.sql: dict[str, str] = {}
        self.requests: list[str] = []

    def install(self, httpserver) -> None:
        httpserver.expect_request("/token", method="POST").respond_with_handler(self.token)
        httpserver.expect_request(re.compile(r"^/bigquery/v2/projects/[^/]+/queries$"), method="POST") \
            .respond_with_handler(self.query)
        httpserver.expect_request(re.compile(r"^/bigquery/v2/projects/[^/]+/queries/[^/]+$"), method="GET") \
            .respond_with_handler(self.page)
        httpserver.expect_request(re.compile(r"^/bigquery/v2/projects/[^/]+/jobs/[^/]+$"), method="GET") \
            .respond_with_handler(self.job)

    def token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not form.get("assertion"):
            return Response(json.dumps({"error": "invalid_grant", "error_description": "bad assertion"}),
                            status=400, content_type="application/json")
        return Response(json.dumps({"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}),
                        content_type="application/json")

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    def _rows_page(self, job_id: str, start: int) -> dict[str, Any]:
        rows = self.jobs[job_id]
        page = rows[start:start + self.page_size]
        body: dict[str, Any] = {
            "kind": "bigquery#getQueryResultsResponse",
            "jobReference": {"projectId": self.project, "jobId": job_id, "location": "US"},
            "jobComplete": True, "schema": {"fields": FIELDS}, "totalRows": str(len(rows)),
            "rows": [{"f": [{"v": None if v is None else str(v)} for v in row]} for row in page],
        }
        if start + self.page_size < len(rows):
            body["pageToken"] = str(start + self.page_size)
        return body

    def query(self, request: Request) -> Response:
        self.requests.append("query")
        if not self._authorised(request):
            return _error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        sql = json.loads(request.data)["query"]
        if sql.strip().lower() == "select 1":
            rows: list[list[Any]] = [[1]]
            job_id = uuid.uuid4().hex
            self.jobs[job_id] = rows
            return Response(json.dumps({
                "jobReference": {"projectId": self.project, "jobId": job_id, "location": "US"},
                "jobComplete": True, "schema": {"fields": [{"name": "f0_", "type": "INTEGER"}]},
                "rows": [{"f": [{"v": "1"}]}], "totalRows": "1"}), content_type="application/json")
        match = _COLUMNS_QUERY.search(sql)
        if not match:
            return _error(400, "INVALID_ARGUMENT", "the fake only answers INFORMATION_SCHEMA.COLUMNS queries")
        project, dataset = match.groups()
        if project != self.project or dataset not in self.datasets:
            return _error(404, "NOT_FOUND", f"Not found: Dataset {project}:{dataset} was not found in location US")
        rows = [[table, name, kind, "YES", position]
                for table, columns in sorted(self.datasets[dataset].items())
                for position, (name, kind) in enumerate(columns, start=1)]
        job_id = uuid.uuid4().hex
        self.jobs[job_id] = rows
        self.sql[job_id] = sql
        return Response(json.dumps({**self._rows_page(job_id, 0), "kind": "bigquery#queryResponse"}),
                        content_type="application/json")

    def page(self, request: Request) -> Response:
        self.requests.append("page")
        if not self._authorised(request):
            return _error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        job_id = request.path.rsplit("/", 1)[1]
        if job_id not in self.jobs:
            return _error(404, "NOT_FOUND", f"Not found: Job {self.project}:US.{job_id}")
        start = int(request.args.get("pageToken") or 0)
        body = self._rows_page(job_id, start)
        if request.args.get("maxResults") == "0":  # a status probe: real BigQuery sends no rows then
            body.pop("rows", None)
            body.pop("pageToken", None)
        return Response(json.dumps(body), content_type="application/json")

    def job(self, request: Request) -> Response:
        """jobs.get: the client asks for the job when results span several pages."""
        self.requests.append("job")
        if not self._authorised(request):
            return _error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        job_id = request.path.rsplit("/", 1)[1]
        if job_id not in self.jobs:
            return _error(404, "NOT_FOUND", f"Not found: Job {self.project}:US.{job_id}")
        reference = {"projectId": self.project, "jobId": job_id, "location": "US"}
        return Response(json.dumps({
            "kind": "bigquery#job", "id": f"{self.project}:US.{job_id}", "jobReference": reference,
            "status": {"state": "DONE"},
            "configuration": {"jobType": "QUERY", "query": {
                "query": self.sql.get(job_id, ""), "useLegacySql": False,
                "destinationTable": {"projectId": self.project, "datasetId": "_reflekt_anon",
                                     "tableId": f"anon{job_id}"}}},
            "statistics": {"query": {"totalBytesProcessed": "0"}},
        }), content_type="application/json")


def service_account_info(project: str, token_uri: str) -> dict[str, str]:
    """A real service account key (fresh RSA key) whose token endpoint is the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": project, "private_key_id": "k1", "private_key": pem,
            "client_email": f"reflekt@{project}.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": token_uri}
