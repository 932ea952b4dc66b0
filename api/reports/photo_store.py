"""The API's access to the report photo store (core/photo_store.py): each call off the event
loop, one store per app, as the `Photos` dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from core.photo_store import DiskPhotoStore, PhotoStore, S3PhotoStore, photo_store_for

__all__ = ["AsyncPhotos", "DiskPhotoStore", "PhotoStore", "Photos", "S3PhotoStore"]


class AsyncPhotos:
    """The app's photo store with each call moved off the event loop."""

    def __init__(self, store: PhotoStore) -> None:
        self.store = store

    async def put(self, data: bytes, extension: str) -> str:
        return await run_in_threadpool(self.store.put, data, extension)

    async def get(self, key: str) -> bytes | None:
        return await run_in_threadpool(self.store.get, key)

    async def delete(self, key: str) -> None:
        await run_in_threadpool(self.store.delete, key)


def _photos(request: Request) -> AsyncPhotos:
    """One store per app, made on first use from the app's settings."""
    photos: AsyncPhotos | None = getattr(request.app.state, "report_photos", None)
    if photos is None:
        photos = AsyncPhotos(photo_store_for(request.app.state.settings.reports))
        request.app.state.report_photos = photos
    return photos


Photos = Annotated[AsyncPhotos, Depends(_photos)]
