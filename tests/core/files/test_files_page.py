"""The files panel on the customer page: listing, uploading, downloading, deleting."""

from __future__ import annotations

import io
import re


def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _upload(client, customer_id: int, name: str, data: bytes):
    path = f"/customers/{customer_id}"
    form = {"csrf_token": _token(client, path), "file": (io.BytesIO(data), name)}
    return client.post(f"{path}/files", data=form, content_type="multipart/form-data")


def test_the_customer_page_lists_files_and_offers_an_upload(crm_client, customer_of):
    """A file uploaded through the panel is listed with a download link."""
    client = crm_client("admin")
    customer = customer_of(client.user)
    response = _upload(client, customer["id"], "minutes.txt", b"We met.\n")
    assert response.status_code == 302
    page = client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    assert "minutes.txt was uploaded." in page
    link = re.search(r'href="(/files/\d+/download)">minutes.txt</a>', page)
    assert link and 'type="file"' in page
    download = client.get(link.group(1))
    assert download.data == b"We met.\n"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_a_refused_upload_is_explained_on_the_page(crm_client, customer_of):
    """The reason a file is refused is flashed on the customer page."""
    client = crm_client("admin")
    customer = customer_of(client.user)
    _upload(client, customer["id"], "photo.pdf", b"\x89PNG\r\n\x1a\n" + bytes(64))
    page = client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    assert "is named .pdf but its content is PNG" in page


def test_a_file_is_deleted_from_the_panel(crm_client, customer_of):
    """The delete button removes the file from the list."""
    client = crm_client("admin")
    customer = customer_of(client.user)
    _upload(client, customer["id"], "old.txt", b"old\n")
    path = f"/customers/{customer['id']}"
    file_id = re.search(r"/files/(\d+)/delete", client.get(path).get_data(as_text=True))
    token = _token(client, path)
    response = client.post(
        f"/files/{file_id.group(1)}/delete", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert (
        "old.txt" not in client.get(path).get_data(as_text=True).split("was deleted")[1]
    )


def test_others_cannot_download_through_the_page(crm_client, customer_of):
    """A user outside the customer's scope gets a 404 for its file."""
    owner = crm_client("agent", team="north")
    stranger = crm_client("agent", team="south")
    customer = customer_of(owner.user)
    _upload(owner, customer["id"], "private.txt", b"secret\n")
    page = owner.get(f"/customers/{customer['id']}").get_data(as_text=True)
    link = re.search(r'href="(/files/\d+/download)"', page).group(1)
    assert stranger.get(link).status_code == 404
