"""Files through the API: upload, list, download, type checks, limits and scope."""

from __future__ import annotations

import hashlib
import zlib

import pytest

from crm_core.security import SYSTEM

API = "/api/v1/files"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def _png() -> bytes:
    """A real one-pixel PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = _png()


def test_an_upload_is_stored_under_a_generated_name_with_its_digest(
    crm_api, crm_host, customer_of, upload
):
    """Bytes go under a UUID name; the name, type, size and SHA-256 are kept."""
    client = crm_api("admin")
    customer = customer_of(client.user)
    response = upload(client, customer["id"], "Offer 2024.pdf", PDF)
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    assert (
        stored
        | {
            "name": "Offer 2024.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "record_type": "customer",
            "record_id": str(customer["id"]),
        }
        == stored
    )
    on_disk = [
        p for p in (crm_host.config.data_dir / "files").rglob("*") if p.is_file()
    ]
    assert [p.read_bytes() for p in on_disk] == [PDF]
    assert len(on_disk[0].name) == 32 and "Offer" not in str(on_disk[0])
    assert response.headers["Location"].endswith(f"/files/{stored['id']}")


def test_a_download_sends_the_bytes_as_an_attachment(crm_api, customer_of, upload):
    """The content comes back with its type, as an attachment under its name."""
    client = crm_api("admin")
    customer = customer_of(client.user)
    file_id = upload(client, customer["id"], "pixel.png", PNG).get_json()["id"]
    response = client.get(f"{API}/{file_id}/content")
    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "pixel.png" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_whose_bytes_are_a_png_is_refused(crm_api, customer_of, upload):
    """The extension must agree with the content; the error says what it is."""
    client = crm_api("admin")
    customer = customer_of(client.user)
    response = upload(client, customer["id"], "invoice.pdf", PNG)
    assert response.status_code == 422
    message = response.get_json()["errors"]["file"][0]
    assert "'invoice.pdf' is named .pdf but its content is PNG (image/png)" in message


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("contacts.csv", "name,city\nZoë,Zürich\n".encode(), "text/csv"),
        ("export.csv", "name\nJosé\n".encode("cp1252"), "text/csv"),
        ("notes.txt", "plain notes\n".encode("utf-16"), "text/plain"),
    ],
)
def test_text_is_accepted_by_its_extension_when_it_decodes(
    crm_api, customer_of, upload, name, data, content_type
):
    """Plain text has no signature: its extension decides, if the bytes are text."""
    client = crm_api("admin")
    customer = customer_of(client.user)
    response = upload(client, customer["id"], name, data)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == content_type


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", bytes(range(256)) * 8, "is not text"),
        ("report.pdf", b"just some words, no PDF here", "matches no known format"),
        ("setup.exe", b"MZ\x90\x00" + bytes(200), ".exe files are not accepted"),
        ("empty.pdf", b"", "is empty"),
        ("", PDF, "needs a name"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(
    crm_api, customer_of, upload, name, data, message
):
    """Binary text, unknown content, unaccepted types and empty files are refused."""
    client = crm_api("admin")
    customer = customer_of(client.user)
    response = upload(client, customer["id"], name, data)
    assert response.status_code == 422
    assert message in response.get_json()["errors"]["file"][0]


def test_an_upload_over_the_size_setting_is_refused_and_not_kept(
    crm_api, crm_host, customer_of, upload, files
):
    """The files.max_upload_mb setting limits uploads; nothing is left on disk."""
    from crm_core.settings import settings_service

    with crm_host.db.transaction() as connection:
        settings_service(crm_host).set(connection, SYSTEM, "files.max_upload_mb", 1)
    client = crm_api("admin")
    customer = customer_of(client.user)
    big = PDF + b"0" * (1024 * 1024)
    response = upload(client, customer["id"], "big.pdf", big)
    assert response.status_code == 422
    assert (
        "larger than the upload limit of 1 MB"
        in response.get_json()["errors"]["file"][0]
    )
    assert [p for p in files.root.rglob("*") if p.is_file()] == []


def test_a_path_in_the_name_is_dropped(crm_api, customer_of, upload):
    """Only the last part of an uploaded name is kept."""
    client = crm_api("admin")
    customer = customer_of(client.user)
    response = upload(client, customer["id"], "..\\..\\etc/passwd.txt", b"root\n")
    assert response.get_json()["name"] == "passwd.txt"


def test_listing_shows_a_records_files_in_pages(crm_api, customer_of, upload):
    """The list names one record; pages follow the cursor."""
    client = crm_api("admin")
    customer = customer_of(client.user)
    for number in range(3):
        upload(client, customer["id"], f"note{number}.txt", b"text\n")
    query = f"?record_type=customer&record_id={customer['id']}&limit=2"
    first = client.get(API + query).get_json()
    second = client.get(API + query + f"&cursor={first['next_cursor']}").get_json()
    names = [f["name"] for f in first["items"] + second["items"]]
    assert names == ["note0.txt", "note1.txt", "note2.txt"]
    assert second["next_cursor"] is None
    assert client.get(API + "?record_type=customer").status_code == 400


def test_files_follow_the_customers_scope(crm_api, customer_of, upload):
    """An agent of another team sees neither the list nor the bytes."""
    owner = crm_api("agent", team="north")
    stranger = crm_api("agent", team="south")
    customer = customer_of(owner.user)
    file_id = upload(owner, customer["id"], "a.txt", b"hello\n").get_json()["id"]
    listing = f"{API}?record_type=customer&record_id={customer['id']}"
    assert owner.get(f"{API}/{file_id}/content").status_code == 200
    assert stranger.get(f"{API}/{file_id}").status_code == 404
    assert stranger.get(f"{API}/{file_id}/content").status_code == 404
    assert stranger.get(listing).status_code == 404
    assert upload(stranger, customer["id"], "b.txt", b"x\n").status_code == 404


def test_deleting_hides_a_file_until_it_is_restored(crm_api, customer_of, upload):
    """A deleted file is neither listed nor downloadable; restore brings it back."""
    client = crm_api("admin")
    customer = customer_of(client.user)
    file_id = upload(client, customer["id"], "a.txt", b"hello\n").get_json()["id"]
    listing = f"{API}?record_type=customer&record_id={customer['id']}"
    assert client.delete(f"{API}/{file_id}").status_code == 204
    assert client.get(listing).get_json()["items"] == []
    assert client.get(f"{API}/{file_id}/content").status_code == 404
    assert client.delete(f"{API}/{file_id}").status_code == 409
    deleted = client.get(listing + "&include_deleted=true").get_json()["items"]
    assert deleted[0]["deleted_at"] is not None
    assert client.post(f"{API}/{file_id}/restore").status_code == 200
    assert client.get(f"{API}/{file_id}/content").data == b"hello\n"
    assert client.post(f"{API}/{file_id}/restore").status_code == 409


def test_agents_delete_only_the_files_they_uploaded(crm_api, customer_of, upload):
    """file.delete reaches an agent's own uploads only."""
    agent = crm_api("agent", team="north")
    manager = crm_api("manager", team="north")
    customer = customer_of(agent.user)
    theirs = upload(manager, customer["id"], "m.txt", b"m\n").get_json()["id"]
    mine = upload(agent, customer["id"], "a.txt", b"a\n").get_json()["id"]
    assert agent.delete(f"{API}/{theirs}").status_code == 403
    assert agent.delete(f"{API}/{mine}").status_code == 204


def test_json_clients_upload_base64_content(crm_api, customer_of):
    """A JSON body with base64 content is accepted like a multipart form."""
    import base64

    client = crm_api("admin")
    customer = customer_of(client.user)
    body = {
        "record_type": "customer",
        "record_id": str(customer["id"]),
        "name": "hello.txt",
        "content": base64.b64encode(b"hello\n").decode(),
    }
    response = client.post(API, json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sha256"] == hashlib.sha256(b"hello\n").hexdigest()
    broken = client.post(API, json={**body, "content": "%%%"})
    assert broken.get_json()["errors"] == {"content": ["not base64 text"]}


def _multipart(record_id: int, name: str, data: bytes) -> bytes:
    """One multipart body with a fixed boundary, as a client retrying would resend."""
    parts = [
        b'--XyZ\r\nContent-Disposition: form-data; name="record_type"\r\n\r\ncustomer',
        b'--XyZ\r\nContent-Disposition: form-data; name="record_id"\r\n\r\n'
        + str(record_id).encode(),
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="'
        + name.encode()
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + data,
    ]
    return b"\r\n".join(parts) + b"\r\n--XyZ--\r\n"


def test_an_upload_repeated_with_its_idempotency_key_is_stored_once(
    crm_api, customer_of, files
):
    """A retried upload with the same key gets the first answer back."""
    client = crm_api("admin")
    customer = customer_of(client.user)

    def send(name: str, data: bytes):
        return client.post(
            API,
            data=_multipart(customer["id"], name, data),
            content_type="multipart/form-data; boundary=XyZ",
            headers={"Idempotency-Key": "upload-1"},
        )

    first, again, other = (
        send("a.txt", b"one\n"),
        send("a.txt", b"one\n"),
        send("b.txt", b"two\n"),
    )
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["id"] == again.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert len([p for p in files.root.rglob("*") if p.is_file()]) == 1
