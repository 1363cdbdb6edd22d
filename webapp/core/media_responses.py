"""Answering a request for a stored photo or signature, once the view has authorised it.

Every media view finds its record through the project scope and checks who may see what,
then calls `send_media`, which answers according to where the bytes live:

* S3 (MEDIA_STORE=s3): a 302 to a presigned GET URL for that one object, valid
  S3_URL_SECONDS. The redirect itself is never cached (``private, no-store``): a cached
  redirect would outlive the URL it points to. The bucket stays private; the URL is made
  per request and expires, and the key in it is random.
* local store behind nginx (MEDIA_ACCEL_PREFIX set): an empty 200 with
  ``X-Accel-Redirect: <prefix><key>``; nginx then sends the file from an *internal*
  location, so a worker thread is not held for the length of a phone's download, and a
  client asking for the prefix directly gets nginx's 404.
* local store without nginx (development, tests): the bytes.

The ETag / If-None-Match answer (304) comes first in every case: a phone that already
holds the photo needs neither the bytes nor a fresh URL.
"""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, request

from webapp.core.media import S3MediaStore, check_key, media_backend, store_from_app

#: the redirect to a presigned URL: nobody may keep it, the URL it names expires
REDIRECT_CACHE_CONTROL = "private, no-store"


def send_media(key: str, *, mimetype: str, etag: str, max_age: int | None, label: str) -> Response:
    """Answer with the stored file under `key` (the caller has authorised the request).

    `etag` names this content (it never changes once stored), `max_age` is how long the
    phone may keep it (None: an owner's photo or signature, which no cache may keep), and
    `label` ("slip photo 12 (view)") names it in the log when the file is missing."""
    cache_control = REDIRECT_CACHE_CONTROL if max_age is None else f"private, max-age={max_age}"
    headers = {"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if request.if_none_match.contains(etag):
        response = Response(status=304, headers=headers)
        response.set_etag(etag)
        return response

    store = store_from_app(current_app)
    if isinstance(store, S3MediaStore):
        # No existence check here: it would cost a round trip on every photo, and a missing
        # object answers 404 from the store itself.
        response = redirect(store.presigned_url(key, mimetype), 302)
        response.headers["Cache-Control"] = REDIRECT_CACHE_CONTROL
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    prefix = accel_prefix(current_app.config)
    if prefix:
        if not store.exists(key):
            _missing(label, key)
        response = Response(b"", mimetype=mimetype, headers=headers)
        response.headers["X-Accel-Redirect"] = prefix + check_key(key)
        response.set_etag(etag)
        return response

    try:
        data = store.open(key)
    except FileNotFoundError:
        _missing(label, key)
    response = Response(data, mimetype=mimetype, headers=headers)
    response.set_etag(etag)
    return response


def accel_prefix(config) -> str | None:
    """MEDIA_ACCEL_PREFIX as "/_media/" (leading and trailing slash), or None."""
    prefix = (config.get("MEDIA_ACCEL_PREFIX") or "").strip()
    if not prefix:
        return None
    return "/" + prefix.strip("/") + "/"


def media_origin(app) -> str | None:
    """The origin presigned URLs send browsers to (for the CSP's img-src), or None when
    photos are served from the app's own origin."""
    if media_backend(app.config) != "s3":
        return None
    return store_from_app(app).public_origin


def _missing(label: str, key: str):
    current_app.logger.error("%s: file %s missing", label, key)
    abort(404)
