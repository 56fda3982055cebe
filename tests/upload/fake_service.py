"""A small local stand-in for the Files and Fine-tuning APIs, for the upload tests.

It listens on 127.0.0.1 on a random port (stdlib ``http.server`` in a thread)
and answers in both URL shapes the ``openai`` SDK uses:

* OpenAI: ``/v1/files``, ``/v1/files/{id}``, ``/v1/fine_tuning/jobs``,
  ``/v1/fine_tuning/jobs/{id}``, ``/v1/fine_tuning/jobs/{id}/events``
  (bearer auth; file status ``uploaded`` -> ``processed``);
* Azure: the same under ``/openai/...?api-version=V`` (``api-key`` header or
  bearer token; file status ``pending`` -> ``running`` -> ``processed``).

Scripted behaviour for the tests: a number of polls before a file is processed,
a processing ``error`` with ``status_details``, queued failure statuses per route
(429 then success, 500 then success, 401), a slow route that outlasts the
client's timeout, a job that fails with an ``error`` object, paginated listing.
Every request is recorded (method, path, query, which auth header was present).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

AZURE_API_VERSIONS = frozenset({"2024-10-21", "2025-04-01-preview"})


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    auth: str | None  # "api-key", "bearer" or None
    shape: str  # "openai" or "azure"


@dataclass
class StoredFile:
    id: str
    filename: str
    content: bytes
    purpose: str
    created_at: int
    shape: str
    polls: int = 0
    status: str = "uploaded"
    status_details: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "file", "bytes": len(self.content),
            "created_at": self.created_at, "filename": self.filename, "purpose": self.purpose,
            "status": self.status, "status_details": self.status_details,
        }


@dataclass
class StoredJob:
    body: dict[str, Any]
    id: str
    created_at: int
    polls: int = 0
    status: str = "validating_files"
    error: dict[str, Any] | None = None
    fine_tuned_model: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        method = self.body.get("method") or {"type": "supervised"}
        hp = self.body.get("hyperparameters") or (method.get(method["type"]) or {}).get(
            "hyperparameters", {})
        return {
            "id": self.id, "object": "fine_tuning.job", "created_at": self.created_at,
            "error": self.error, "fine_tuned_model": self.fine_tuned_model,
            "finished_at": self.created_at + 60 if self.status in ("succeeded", "failed") else None,
            "hyperparameters": hp, "model": self.body["model"], "organization_id": "org-fake",
            "result_files": [], "seed": self.body.get("seed", 42), "status": self.status,
            "trained_tokens": 1234 if self.status == "succeeded" else None,
            "training_file": self.body["training_file"],
            "validation_file": self.body.get("validation_file"),
            "metadata": self.body.get("metadata"), "method": method,
        }


class FakeService:
    """State and scripts of the fake service. ``start()`` returns the base URL."""

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.base_url = ""
        self.files: dict[str, StoredFile] = {}
        self.jobs: dict[str, StoredJob] = {}
        self.seen: list[Seen] = []
        self.polls_to_process = 1  # retrieves a file stays in a non-terminal status
        self.file_error: str | None = None  # status_details of a file that fails processing
        self.job_error: dict[str, Any] | None = None  # error of a job that fails validation
        self.page_size = 100
        self.failures: dict[str, list[int]] = {}  # "POST files" -> statuses to answer first
        self.delays: dict[str, float] = {}  # "GET files/{id}" style route -> seconds
        self.echo_key_in_401 = True  # a careless service that quotes the key it got
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> str:
        service = self

        class Handler(_Handler):
            fake = service

        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        return self.base_url

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- helpers for tests
    def requests(self, method: str | None = None, route: str | None = None) -> list[Seen]:
        return [s for s in self.seen
                if (method is None or s.method == method)
                and (route is None or _route_key(s.path)[1] == route)]

    def uploads(self) -> list[Seen]:
        return self.requests("POST", "files")

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that timed out and hung up is expected in the timeout test


def _route_key(path: str) -> tuple[str, str]:
    """("openai"|"azure", route) where route is e.g. "files", "files/{id}", "jobs/{id}/events"."""
    prefixes = (("/openai/v1/", "openai"), ("/v1/", "openai"), ("/openai/", "azure"))
    match = next(((p, sh) for p, sh in prefixes if path.startswith(p)), None)
    if match is None:
        return "none", path
    prefix, shape = match
    rest = path[len(prefix):].strip("/")
    rest = re.sub(r"^fine_tuning/jobs", "jobs", rest)
    rest = re.sub(r"^(files|jobs)/[^/]+", r"\1/{id}", rest)
    return shape, rest


class _Handler(BaseHTTPRequestHandler):
    fake: FakeService
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the server
        return

    # -- plumbing
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str | None = None,
               param: str | None = None, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"message": message, "type": "invalid_request_error",
                                      "param": param, "code": code}}, headers)

    def _auth(self) -> tuple[str | None, str | None]:
        if self.headers.get("api-key"):
            return "api-key", self.headers["api-key"]
        value = self.headers.get("Authorization", "")
        if value.startswith("Bearer "):
            return "bearer", value[len("Bearer "):]
        return None, None

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        shape, route = _route_key(parts.path)
        auth_kind, token = self._auth()
        body = self._body()
        with fake._lock:
            fake.seen.append(Seen(method, parts.path, query, auth_kind, shape))
            queued = fake.failures.get(f"{method} {route}")
            status = queued.pop(0) if queued else None
        delay = fake.delays.get(f"{method} {route}")
        if delay:
            fake._stop.wait(delay)
        if shape == "none":
            return self._error(404, "Resource not found", "404")
        if shape == "azure" and query.get("api-version", [None])[0] not in AZURE_API_VERSIONS:
            return self._error(404, "Resource not found", "404")
        if status == 401 or (fake.api_key is not None and token != fake.api_key):
            shown = token if fake.echo_key_in_401 else "***"
            return self._error(401, f"Incorrect API key provided: {shown}.", "invalid_api_key")
        if status == 429:
            return self._error(429, "Rate limit reached, retry shortly", "rate_limit_exceeded",
                               headers={"retry-after-ms": "5"})
        if status is not None and status >= 500:
            return self._error(status, "The server had an error", "server_error",
                               headers={"retry-after-ms": "5"})
        if status is not None:
            return self._error(status, "scripted failure", str(status))
        handler = getattr(self, f"_{method.lower()}_{route.replace('/', '_').replace('{id}', 'id')}",
                          None)
        if handler is None:
            return self._error(404, f"no route {method} {route}", "404")
        item_id = parts.path.rstrip("/").split("/")
        handler(shape=shape, query=query, body=body, path_parts=item_id)

    # -- files
    def _post_files(self, *, shape: str, query: dict[str, list[str]], body: bytes,
                    path_parts: list[str]) -> None:
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("multipart/form-data"):
            return self._error(400, "expected multipart/form-data", "invalid_content_type")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body)
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            fields[str(name)] = (part.get_filename(), payload)
        if "file" not in fields or fields.get("purpose", (None, b""))[1] != b"fine-tune":
            return self._error(400, "file and purpose=fine-tune are required", "invalid_request")
        filename, content = fields["file"]
        if not filename or not filename.endswith(".jsonl"):
            return self._error(400, "Invalid file format for Fine-Tuning API. Must be .jsonl",
                               "invalid_file_format", "file")
        fake = self.fake
        with fake._lock:
            f = StoredFile(id=fake.next_id("file"), filename=filename, content=content,
                           purpose="fine-tune", created_at=int(time.time()), shape=shape,
                           status="pending" if shape == "azure" else "uploaded")
            fake.files[f.id] = f
        self._send(201 if shape == "azure" else 200, f.as_json())

    def _get_files(self, *, shape: str, query: dict[str, list[str]], body: bytes,
                   path_parts: list[str]) -> None:
        fake = self.fake
        purpose = query.get("purpose", [None])[0]
        after = query.get("after", [None])[0]
        items = sorted(fake.files.values(), key=lambda f: f.id)
        items = [f for f in items if purpose is None or f.purpose == purpose]
        if after is not None:
            items = [f for f in items if f.id > after]
        page = items[: fake.page_size]
        self._send(200, {"object": "list", "data": [f.as_json() for f in page],
                         "has_more": len(items) > len(page)})

    def _advance_file(self, f: StoredFile) -> None:
        if f.status in ("processed", "error", "deleted"):
            return
        f.polls += 1
        if f.polls <= self.fake.polls_to_process:
            if f.shape == "azure":
                f.status = "running"
            return
        if self.fake.file_error is not None:
            f.status, f.status_details = "error", self.fake.file_error
        else:
            f.status = "processed"

    def _get_files_id(self, *, shape: str, query: dict[str, list[str]], body: bytes,
                      path_parts: list[str]) -> None:
        f = self.fake.files.get(path_parts[-1])
        if f is None:
            return self._error(404, "No such File object", "file_not_found")
        with self.fake._lock:
            self._advance_file(f)
        self._send(200, f.as_json())

    def _delete_files_id(self, *, shape: str, query: dict[str, list[str]], body: bytes,
                         path_parts: list[str]) -> None:
        f = self.fake.files.pop(path_parts[-1], None)
        if f is None:
            return self._error(404, "No such File object", "file_not_found")
        self._send(200, {"id": f.id, "object": "file", "deleted": True})

    # -- jobs
    def _post_jobs(self, *, shape: str, query: dict[str, list[str]], body: bytes,
                   path_parts: list[str]) -> None:
        fake = self.fake
        req = json.loads(body or b"{}")
        for key in ("training_file", "validation_file"):
            fid = req.get(key)
            if key == "training_file" and not fid:
                return self._error(400, "training_file is required", "invalid_request", key)
            if fid and (fid not in fake.files or fake.files[fid].status != "processed"):
                return self._error(400, f"File {fid} is not ready", "invalid_file_status", key)
        md = req.get("metadata") or {}
        if len(md) > 16 or any(len(k) > 64 or len(str(v)) > 512 for k, v in md.items()):
            return self._error(400, "metadata exceeds limits", "invalid_metadata", "metadata")
        with fake._lock:
            job = StoredJob(body=req, id=fake.next_id("ftjob"), created_at=int(time.time()))
            job.events.append({"id": fake.next_id("ftevent"), "object": "fine_tuning.job.event",
                               "created_at": job.created_at, "level": "info",
                               "message": "Validating training file", "type": "message"})
            fake.jobs[job.id] = job
        self._send(200, job.as_json())

    def _get_jobs_id(self, *, shape: str, query: dict[str, list[str]], body: bytes,
                     path_parts: list[str]) -> None:
        fake = self.fake
        job = fake.jobs.get(path_parts[-1])
        if job is None:
            return self._error(404, "No such job", "job_not_found")
        with fake._lock:
            job.polls += 1
            if job.status == "validating_files":
                if fake.job_error is not None:
                    job.status, job.error = "failed", dict(fake.job_error)
                    msg, level = f"Job failed: {fake.job_error['message']}", "error"
                else:
                    job.status, msg, level = "queued", "Files validated; job queued", "info"
                job.events.append({"id": fake.next_id("ftevent"), "object": "fine_tuning.job.event",
                                   "created_at": job.created_at + job.polls, "level": level,
                                   "message": msg, "type": "message"})
        self._send(200, job.as_json())

    def _get_jobs_id_events(self, *, shape: str, query: dict[str, list[str]], body: bytes,
                            path_parts: list[str]) -> None:
        job = self.fake.jobs.get(path_parts[-2])
        if job is None:
            return self._error(404, "No such job", "job_not_found")
        limit = int(query.get("limit", ["20"])[0])
        newest_first = list(reversed(job.events))[:limit]
        self._send(200, {"object": "list", "data": newest_first, "has_more": False})


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
