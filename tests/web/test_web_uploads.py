"""Uploads cannot freeze or exhaust the app: bodies capped before parsing, files streamed to
disk by SHA-256 and checked on read, zip bombs refused, parsing off the event loop (issue 10,
"Availability"); on SQLite and PostgreSQL where storage matters."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import socket
import subprocess
import sys
import threading
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from alembic import command
from fastapi.testclient import TestClient
from tests.web.support import PASSWORD, WebSetup, audit_county_url, free_port, sign_in

from papertally.model.audit_records import AuditFile
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.store.engine import make_engine, writing
from papertally.store.files import FileIntegrityError, data_dir_for, key_of
from papertally.store.migrate import alembic_config
from papertally.web import upload_worker
from papertally.web.app import create_app
from papertally.web.settings import UploadSettings

MANIFEST = b"Container,Tabulator,Batch Name,Number of Ballots\nBox 1,T1,B1,10\nBox 1,T1,B2,5\n"


def _audit_with_a_manifest(url: str) -> tuple[AuditStore, int]:
    store = Store(url)
    store.migrate()
    audits = AuditStore(store.engine)
    audit_id = audits.create_audit("Audit", ["Adams"], actor="admin")
    summary = {"batches": 2, "ballots": 15}
    audits.upload_file(
        audit_id, AuditFile("Adams", "manifest", "m.csv", MANIFEST), summary, actor="a"
    )
    return audits, audit_id


def test_a_file_row_holds_no_bytes_and_the_file_is_on_disk_by_its_sha256(db_url: str) -> None:
    audits, audit_id = _audit_with_a_manifest(db_url)
    columns = {c["name"] for c in sa.inspect(audits.engine).get_columns("audit_files")}
    assert "content" not in columns
    assert {"size", "sha256", "stored_key", "filename"} <= columns
    digest = hashlib.sha256(MANIFEST).hexdigest()
    on_disk = data_dir_for(db_url) / key_of(digest)
    assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == digest
    [stored] = audits.files(audit_id)
    assert (stored.sha256, stored.size, stored.filename) == (digest, len(MANIFEST), "m.csv")
    assert [f.content for f in audits.file_contents(audit_id)] == [MANIFEST]


def test_a_file_changed_on_disk_is_refused_naming_it(db_url: str) -> None:
    audits, audit_id = _audit_with_a_manifest(db_url)
    on_disk = data_dir_for(db_url) / key_of(hashlib.sha256(MANIFEST).hexdigest())
    on_disk.write_bytes(MANIFEST.replace(b"10", b"99"))
    with pytest.raises(FileIntegrityError, match=r"Adams manifest 'm.csv'.*changed on disk"):
        audits.file_contents(audit_id)
    on_disk.unlink()
    with pytest.raises(FileIntegrityError, match="missing"):
        audits.export_contents(audit_id)


def test_a_file_name_longer_than_255_characters_is_refused(db_url: str) -> None:
    audits, audit_id = _audit_with_a_manifest(db_url)
    long_name = AuditFile("Adams", "manifest", "m" * 300 + ".csv", MANIFEST)
    with pytest.raises(Exception, match="at most 255"):
        audits.upload_file(audit_id, long_name, {}, actor="a")
    assert [f.filename for f in audits.files(audit_id)] == ["m.csv"]


def test_the_migration_moves_stored_bytes_to_disk_and_back(db_url: str) -> None:
    store = Store(db_url)
    now = datetime.now(UTC)
    with writing(store.engine) as connection:
        command.upgrade(alembic_config(connection), "0005")
        connection.execute(
            sa.text(
                "INSERT INTO audits (id, name, status, sampling, created_by, created_at) "
                "VALUES (1, 'A', 'setup', 'rivest', 'admin', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO audit_files (audit_id, county, kind, filename, sha256, content, "
                "summary, uploaded_by, uploaded_at) VALUES (1, 'Adams', 'manifest', 'm.csv', "
                ":sha, :content, :summary, 'a', :now)"
            ),
            {
                "sha": hashlib.sha256(MANIFEST).hexdigest(),
                "content": MANIFEST,
                "summary": json.dumps({}),
                "now": now,
            },
        )
    store.migrate()
    digest = hashlib.sha256(MANIFEST).hexdigest()
    assert (data_dir_for(db_url) / key_of(digest)).read_bytes() == MANIFEST
    with store.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT size, stored_key FROM audit_files")).one()
    assert tuple(row) == (len(MANIFEST), key_of(digest))
    with writing(store.engine) as connection:
        command.downgrade(alembic_config(connection), "0005")
    with store.engine.connect() as connection:
        content = connection.execute(sa.text("SELECT content FROM audit_files")).scalar_one()
    assert bytes(content) == MANIFEST
    store.migrate()
    store.close()


def test_the_data_dir_is_beside_the_sqlite_file_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERTALLY_DATA_DIR", raising=False)
    assert data_dir_for(f"sqlite:///{tmp_path / 'x.db'}") == tmp_path / "papertally-files"
    assert data_dir_for("postgresql+psycopg://u@h/d") == Path("papertally-files").resolve()
    monkeypatch.setenv("PAPERTALLY_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data_dir_for(f"sqlite:///{tmp_path / 'x.db'}") == tmp_path / "elsewhere"


# -- through the app ----------------------------------------------------------------------------

ASGIMessage = dict[str, Any]


def _app(web: WebSetup, **settings: Any) -> Any:
    return create_app(web.url, secret_key="test-secret", upload_settings=UploadSettings(**settings))


def _client(web: WebSetup, **settings: Any) -> TestClient:
    return TestClient(_app(web, **settings), follow_redirects=False)


def _call(
    app: Any, method: str, path: str, headers: dict[str, str], chunks: int
) -> tuple[int, int]:
    """Call ``app`` directly over ASGI with a body of ``chunks`` 64 KB chunks; return the
    response's status and how many body chunks the app asked for."""
    asked = 0
    status = 0

    async def receive() -> ASGIMessage:
        nonlocal asked
        asked += 1
        if asked > chunks:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"a" * 65536, "more_body": asked < chunks}

    async def send(message: ASGIMessage) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    return status, asked


def test_an_oversized_body_to_login_is_refused_with_413_before_it_is_read(web: WebSetup) -> None:
    app = _app(web)
    form = {"content-type": "application/x-www-form-urlencoded"}
    status, asked = _call(app, "POST", "/login", {**form, "content-length": "209715200"}, 3200)
    assert (status, asked) == (413, 0)
    chunked, asked = _call(app, "POST", "/login", form, 3200)
    assert chunked == 413 and asked <= 2
    client = _client(web)
    refused = client.post("/login", content=b"username=" + b"a" * 70_000, headers=form)
    assert refused.status_code == 413 and "larger than 64 KB" in refused.text


def test_an_anonymous_upload_is_refused_before_its_body_is_read(web: WebSetup) -> None:
    headers = {
        "content-type": "multipart/form-data; boundary=xyz",
        "content-length": str(160 * 65536),
    }
    for path in ("/audits/1/counties/1/files", "/admin/import"):
        status, asked = _call(_app(web), "POST", path, headers, 160)
        assert (status, asked) == (303, 0), path


def _audit(client: TestClient) -> tuple[int, str]:
    sign_in(client, "admin")
    response = client.post("/audits", data={"name": "Audit", "counties": "Adams\nDane"})
    assert response.status_code == 303, response.text
    audit_id = int(response.headers["location"].rsplit("/", 1)[-1])
    return audit_id, audit_county_url(client, audit_id, "Adams")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _kept_files(db_url: str) -> list[Path]:
    root = data_dir_for(db_url)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_zip_bomb_and_a_nested_zip_are_refused_and_nothing_is_kept(web: WebSetup) -> None:
    client = _client(web, parse_workers=0)
    audit_id, county = _audit(client)
    bomb = _zip({"cvrs.csv": bytes(64 * 1024 * 1024)})
    assert len(bomb) < 100_000
    refused = client.post(
        county + "/files",
        data={"kind": "cvrs"},
        files={"file": ("bomb.zip", bomb, "application/zip")},
    )
    assert refused.status_code == 413
    assert "bomb.zip" in refused.text and "expands" in refused.text
    nested = _zip({"inner.zip": _zip({"cvrs.csv": b"a,b\n"})})
    refused = client.post(
        county + "/files",
        data={"kind": "cvrs"},
        files={"file": ("n.zip", nested, "application/zip")},
    )
    assert refused.status_code == 400 and "another archive" in refused.text
    assert AuditStore(make_engine(web.url)).files(audit_id) == []
    assert _kept_files(web.url) == []


def test_a_file_over_the_cap_is_refused_with_413_naming_it(web: WebSetup) -> None:
    client = _client(web, parse_workers=0, max_upload_bytes=1000)
    audit_id, county = _audit(client)
    refused = client.post(
        county + "/files", data={"kind": "manifest"}, files={"file": ("big.csv", MANIFEST * 100)}
    )
    assert refused.status_code == 413 and "big.csv" in refused.text
    assert AuditStore(make_engine(web.url)).files(audit_id) == []
    assert _kept_files(web.url) == []


def test_without_the_token_first_no_file_byte_is_kept(web: WebSetup) -> None:
    client = _client(web, parse_workers=0)
    audit_id, county = _audit(client)
    token = client.headers.pop("X-CSRF-Token")
    late = client.post(
        county + "/files",
        data={"kind": "manifest", "csrf_token": token},
        files={"file": ("m.csv", MANIFEST)},
    )
    assert late.status_code == 403
    assert _kept_files(web.url) == []
    body, boundary = _multipart(
        [
            ("csrf_token", None, token.encode()),
            ("kind", None, b"manifest"),
            ("file", "m.csv", MANIFEST),
        ]
    )
    first = client.post(
        county + "/files",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert first.status_code == 303, first.text
    assert [f.filename for f in AuditStore(make_engine(web.url)).files(audit_id)] == ["m.csv"]


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    boundary = "papertally-test-boundary"
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), boundary


def test_an_upload_is_read_by_a_worker_process_and_kept_by_its_sha256(web: WebSetup) -> None:
    client = _client(web, parse_workers=1, answer_within_seconds=120)
    audit_id, county = _audit(client)
    response = client.post(
        county + "/files", data={"kind": "manifest"}, files={"file": ("dir/m.csv", MANIFEST)}
    )
    assert (response.status_code, response.headers["location"]) == (303, county)
    [stored] = AuditStore(make_engine(web.url)).files(audit_id)
    assert (stored.filename, stored.summary) == ("m.csv", {"batches": 2, "ballots": 15})
    digest = hashlib.sha256(MANIFEST).hexdigest()
    assert (data_dir_for(web.url) / key_of(digest)).read_bytes() == MANIFEST
    bad = client.post(
        county + "/files", data={"kind": "manifest"}, files={"file": ("m.csv", b"Batch,x\nB1,3\n")}
    )
    assert bad.status_code == 400 and "Number of Ballots" in bad.text


def test_a_slow_reading_leaves_every_other_request_free(
    web: WebSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reading is held until the test lets it go: meanwhile the sign-in page, the upload's
    status and a second upload held open half-sent are all answered (before the fix, the
    reading ran inside the request handler and nothing else was answered until it ended)."""
    release = threading.Event()
    reading = threading.Event()
    real = upload_worker.summarize_audit_file

    def held(*args: Any) -> dict[str, Any]:
        reading.set()
        release.wait(60)
        return real(*args)

    monkeypatch.setattr(upload_worker, "summarize_audit_file", held)
    app = _app(web, parse_workers=0, answer_within_seconds=0)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        while not server.started:
            time.sleep(0.02)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
            client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf_token"]
            signed = client.post("/api/session", json={"username": "admin", "password": PASSWORD})
            client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
            created = client.post("/audits", data={"name": "A", "counties": "Adams"})
            audit_id = int(created.headers["location"].rsplit("/", 1)[-1])
            county_id = AuditStore(make_engine(web.url)).county_ids(audit_id)["Adams"]
            county = f"/audits/{audit_id}/counties/{county_id}"
            upload = client.post(
                county + "/files", data={"kind": "manifest"}, files={"file": ("m.csv", MANIFEST)}
            )
            assert upload.status_code == 303
            status_page = upload.headers["location"]
            assert reading.wait(30)
            with socket.create_connection(("127.0.0.1", port)) as half_sent:
                half_sent.sendall(
                    f"POST {county}/files HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n"
                    "Content-Type: multipart/form-data; boundary=b\r\n"
                    f"Cookie: {'; '.join(f'{k}={v}' for k, v in client.cookies.items())}\r\n"
                    f"X-CSRF-Token: {client.headers['X-CSRF-Token']}\r\n\r\n--b\r\n".encode()
                )
                assert client.get("/login").status_code == 200
                status = client.get("/api" + status_page).json()
                assert status["state"] == "parsing" and not status["finished"]
                assert "upload.js" in client.get(status_page).text
            release.set()
            for _ in range(300):
                status = client.get("/api" + status_page).json()
                if status["finished"]:
                    break
                time.sleep(0.05)
            assert status["state"] == "done" and status["next"] == county, status
    finally:
        release.set()
        server.should_exit = True
        thread.join(timeout=10)


def test_a_canvass_import_is_streamed_and_read_off_the_request(
    web: WebSetup, tmp_path: Path
) -> None:
    client = _client(web, parse_workers=0)
    sign_in(client, "admin")
    canvass = (
        b"county,reporting_unit,contest,count,choice,votes\nAdams,W1,Mayor,original canvass,A,5\n"
    )
    response = client.post(
        "/admin/import", data={"name": "Spring"}, files={"files": ("canvass.csv", canvass)}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/admin?message=Imported%20election")
    bomb = _zip({"canvass.csv": bytes(64 * 1024 * 1024)})
    refused = client.post("/admin/import", files={"files": ("c.xlsx", bomb)})
    assert refused.status_code == 413 and "c.xlsx" in refused.text


def test_the_upload_status_is_only_for_its_county(web: WebSetup) -> None:
    admin = _client(web, parse_workers=0, answer_within_seconds=0)
    audit_id, county = _audit(admin)
    response = admin.post(
        county + "/files", data={"kind": "manifest"}, files={"file": ("m.csv", MANIFEST)}
    )
    status_page = response.headers["location"]
    assert status_page.startswith(county + "/uploads/")
    assert admin.get("/api" + status_page).json()["state"] == "done"
    dane = _client(web)
    sign_in(dane, "dane-clerk")
    assert dane.get(status_page).status_code == 403
    dane_county = audit_county_url(admin, audit_id, "Dane")
    upload_id = status_page.rsplit("/", 1)[-1]
    assert dane.get(f"/api{dane_county}/uploads/{upload_id}").status_code == 404


def test_a_worker_process_is_capped_in_memory() -> None:
    """A worker's address space is capped: reading more fails with MemoryError (turned into
    the job's message) instead of exhausting the server."""
    script = (
        "import os; from papertally.web.upload_worker import start_worker\n"
        "start_worker(os.getppid(), 1024 * 1024 * 1024)\n"
        "try:\n    bytearray(2 * 1024 * 1024 * 1024)\nexcept MemoryError:\n    print('refused')\n"
    )
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "refused"
