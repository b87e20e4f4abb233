"""Files the fake holds: ids and paths like Telegram's, uploads checked, photo sizes, media JSON."""

from __future__ import annotations

import itertools
from typing import Any

from .models import ApiError, Params, StoredFile, UploadedFile, bad_request

__all__ = ["FileStore"]

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF", b"BM")
_FILE_PREFIX = {
    "photo": "AgACAgUAAxkBAAI",
    "document": "BQACAgUAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_FILE_FOLDER = {"photo": "photos", "document": "documents", "sticker": "stickers"}
_MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class FileStore:
    """Stored files by file_id (``by_id``): what users sent and what the bot uploaded."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)
        self._photo_sizes: dict[str, list[dict[str, Any]]] = {}

    def store(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        ext: str = "bin",
    ) -> StoredFile:
        """Store bytes as a downloadable file of ``kind`` ('photo', 'document', ...)."""
        number = next(self._numbers)
        folder = _FILE_FOLDER.get(kind, kind + "s")
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BQACAgUAAxkBAAI')}{number:06d}{kind[:3]}",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{folder}/file_{number}.{ext}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            kind=kind,
        )
        self.by_id[stored.file_id] = stored
        return stored

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file downloadable at ``file_path``, if any."""
        return next((f for f in self.by_id.values() if f.file_path == file_path), None)

    def photo_sizes(self, full: StoredFile) -> list[dict[str, Any]]:
        """PhotoSize list (thumbnail + full size) for a stored photo."""
        if full.file_id in self._photo_sizes:
            return self._photo_sizes[full.file_id]
        thumb = self.store("photo", b"\xff\xd8\xff\xe0thumb" + full.data[:16], ext="jpg")
        sizes = [
            {**_size_json(thumb), "width": 90, "height": 68},
            {**_size_json(full), "width": 1280, "height": 960},
        ]
        self._photo_sizes[full.file_id] = self._photo_sizes[thumb.file_id] = sizes
        return sizes

    def media_json(self, stored: StoredFile) -> Any:
        """The Bot API object a message shows for the file (PhotoSize list, Document, ...)."""
        if stored.kind == "photo":
            return self.photo_sizes(stored)
        data = _size_json(stored)
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    def from_request(self, p: Params, kind: str) -> StoredFile:
        """Resolve the ``kind`` field: an upload, attach://name, a file_id or an URL."""
        value = p.get(kind)
        upload = p.files.get(kind)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file {value!r} not found in the request")
        if upload is not None:
            return self._store_upload(upload, kind)
        if isinstance(value, str) and value:
            if value in self.by_id:
                stored = self.by_id[value]
                if stored.kind != kind:
                    raise bad_request(
                        f"can't use file of type {stored.kind.title()} as {kind.title()}"
                    )
                return stored
            if value.startswith(("http://", "https://")):
                name = value.rsplit("/", 1)[-1] or "file"
                return self.store(kind, _synthetic_bytes(kind, name), file_name=name)
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {kind} in the request")

    def _store_upload(self, upload: UploadedFile, kind: str) -> StoredFile:
        if not upload.content:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if not upload.content.startswith(_IMAGE_MAGIC):
                raise bad_request("IMAGE_PROCESS_FAILED")
            return self.store("photo", upload.content, mime_type="image/jpeg", ext="jpg")
        if len(upload.content) > _MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        name = upload.filename or "file"
        ext = name.rsplit(".", 1)[-1] if "." in name else "bin"
        ext = ext if ext.isascii() and ext.isalnum() else "bin"
        return self.store(
            kind, upload.content, file_name=name, mime_type=upload.content_type, ext=ext
        )


def _size_json(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
    }


def _synthetic_bytes(kind: str, label: str) -> bytes:
    """Recognisable placeholder content for files that never had real bytes."""
    if kind in ("photo", "sticker"):
        return b"\xff\xd8\xff\xe0" + f"FAKE-{kind.upper()}:{label}".encode() + b"\xff\xd9"
    if label.lower().endswith(".pdf"):
        return f"%PDF-1.4\n% fake document {label}\n%%EOF\n".encode()
    return f"fake {kind} {label}\n".encode()
