"""Photos and signatures: checking, re-encoding, watermarking and storing them.

Everything a phone uploads goes through `check_and_reencode` before it is kept:

* the bytes are identified by Pillow itself — the filename and the client's content type
  are never trusted, and only the formats phones produce are opened at all;
* the pixel count is checked from the header before any pixel is decoded, so a small file
  declaring a huge image (a "decompression bomb") cannot exhaust the server's memory;
* the stored JPEG is a freshly built image with no metadata: a phone's EXIF block carries
  the GPS position where the photo was taken and the phone's make and serial, which would
  tell anyone who can see the photo where its owner lives or works.

Stored files are named by `new_key` from a random token, never from what the user sent,
and every key is checked against a strict pattern before it touches the file system.

Files are written before the caller commits. `delete_unless_committed` remembers each
saved key with the transaction it was saved in (in ``session.info``); listeners installed
once on the Session class delete the files when that transaction rolls back or ends
without committing, so a refused or failed request leaves no orphan file behind.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import pillow_heif
import sqlalchemy as sa
import sqlalchemy.orm as so
from PIL import Image, ImageDraw, ImageFont, ImageOps

from webapp.core.rulekit import N_

log = logging.getLogger(__name__)

#: the long side of a stored photo: sharp enough to read a meter, small enough for a phone
MAX_SIDE = 2560
THUMBNAIL_SIDE = 400
JPEG_QUALITY = 85
#: what phones and browsers produce; anything else Pillow could open (EPS, TIFF, …) is refused
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF")  # JPEG covers MPO too

# iPhones upload HEIC; Pillow reads it through the pillow-heif plugin.
pillow_heif.register_heif_opener()


class MediaError(Exception):
    """An upload we refuse. `message` is an English msgid with %(name)s placeholders,
    translated by ``webapp.core.web.message()`` like a RuleViolation."""

    def __init__(self, message: str, field: str | None = "photo", **params: object):
        self.message = message
        self.field = field
        self.params = params
        super().__init__(message % params if params else message)


NOT_AN_IMAGE = N_("Not an image (JPEG, PNG, WebP or HEIC expected).")
TOO_LARGE_FILE = N_("The photo is larger than %(limit)s MB.")
TOO_MANY_PIXELS = N_("The image is too large (%(pixels)s megapixels).")
EMPTY_FILE = N_("The file is empty.")


@dataclass(frozen=True)
class ProcessedImage:
    original: bytes  #: re-encoded JPEG, long side at most MAX_SIDE, no metadata
    thumbnail: bytes  #: JPEG, long side at most THUMBNAIL_SIDE
    width: int
    height: int
    sha256: str  #: of `original`, to recognise the same photo filed twice


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.0f}"


def open_checked(data: bytes, max_pixels: int, draft_side: int | None = None) -> Image.Image:
    """Identify and decode the first frame, refusing bombs before decoding a pixel.

    Only ALLOWED_FORMATS are opened; MediaError (field "photo") for anything else, a
    truncated file, or more than `max_pixels` (checked before decoding). With `draft_side`,
    a JPEG is decoded at the smallest 1/2, 1/4 or 1/8 scale still at least that long on
    both sides (the decoder's own scaling): a 40 MP photo then takes a quarter of the memory."""
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; treat the warning as a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow refuses far-too-large headers itself, before we see the size.
            claimed = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(claimed[1]) if claimed else max_pixels + 1
            raise MediaError(TOO_MANY_PIXELS, pixels=_megapixels(pixels)) from None
        except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise MediaError(NOT_AN_IMAGE) from None
        width, height = im.size
        if width <= 0 or height <= 0:
            raise MediaError(NOT_AN_IMAGE)
        if width * height > max_pixels:
            raise MediaError(TOO_MANY_PIXELS, pixels=_megapixels(width * height))
        try:
            im.seek(0)  # animated GIF/WebP: the first frame is the photo
            if draft_side and im.format == "JPEG":
                im.draft(None, (draft_side, draft_side))
            im.load()  # a truncated file fails here (LOAD_TRUNCATED_IMAGES stays off)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise MediaError(TOO_MANY_PIXELS, pixels=_megapixels(width * height)) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise MediaError(NOT_AN_IMAGE) from None
    return im


def clean_rgb(im: Image.Image) -> Image.Image:
    """A fresh RGB image holding only the pixels: no EXIF, GPS, XMP, ICC or comments.

    Transparent areas become white (a PNG screenshot with alpha would otherwise turn black).
    """
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, "white")
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    else:
        rgb = im.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def _jpeg(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


#: modes Pillow resizes as they are; others (palette, CMYK, 16-bit) are converted first
_RESIZABLE_MODES = ("RGB", "RGBA", "L", "LA")


def check_and_reencode(data: bytes, *, max_bytes: int, max_pixels: int) -> ProcessedImage:
    """Check an uploaded photo and return it re-encoded as a metadata-free JPEG + thumbnail.

    Raises MediaError for an empty file, one over `max_bytes`, anything that is not a
    JPEG/PNG/WebP/GIF (HEIC too when the HEIF plugin is registered) by its content, an image
    over `max_pixels` (checked before decoding) and a truncated file.
    """
    if not data:
        raise MediaError(EMPTY_FILE)
    if len(data) > max_bytes:
        raise MediaError(TOO_LARGE_FILE, limit=f"{max_bytes / (1024 * 1024):g}")
    im = open_checked(data, max_pixels, draft_side=MAX_SIDE)
    try:
        # Phones store the camera's orientation as a tag; the stored photo loses the tag,
        # so the rotation is applied to the pixels first (in place: no second full copy).
        ImageOps.exif_transpose(im, in_place=True)
        # Shrink before any copy is made: the worker holds one full-size image at most, and
        # the copies clean_rgb makes are of the stored size.
        if im.mode not in _RESIZABLE_MODES:
            im = im.convert("RGBA" if im.mode in ("P", "PA") else "RGB")
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        clean = clean_rgb(im)
    except (OSError, SyntaxError, ValueError):
        raise MediaError(NOT_AN_IMAGE) from None
    finally:
        im.close()
    original = _jpeg(clean)
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return ProcessedImage(
        original=original,
        thumbnail=_jpeg(thumb),
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(original).hexdigest(),
    )


# --- watermark ("水印相机": time, place and filer burnt into the photo) ---------------------

_CJK_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


@lru_cache(maxsize=1)
def _cjk_font_file() -> tuple[str, int] | None:
    """The path and face index of a font that has Chinese glyphs, or None."""
    candidates = [p for p in _CJK_FONT_PATHS if os.path.isfile(p)]
    if not candidates:
        try:
            found = subprocess.run(  # noqa: S603 - fixed arguments, no user input
                ["fc-match", "-f", "%{file}", "Noto Sans CJK SC"],  # noqa: S607
                capture_output=True, text=True, timeout=5, check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and os.path.isfile(found):
            candidates.append(found)
    for path in candidates:
        # A .ttc holds several faces; prefer the Simplified Chinese one for its glyph shapes.
        for index in range(10):
            try:
                name = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
            except OSError:
                break
            if "SC" in name.split():
                return path, index
        return path, 0
    return None


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = _cjk_font_file()
    if found:
        try:
            return ImageFont.truetype(found[0], size, index=found[1])
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def watermark(jpeg: bytes, lines: list[str]) -> bytes:
    """Burn `lines` (time, place, who filed it) into a dark strip along the bottom.

    Like the watermark cameras staff already use, the record stays readable when a photo
    is forwarded on its own. Returns a JPEG of the same size without metadata.
    """
    with Image.open(io.BytesIO(jpeg)) as src:
        src.load()
        base = clean_rgb(src).convert("RGBA")
    width, height = base.size
    size = max(12, width // 32)
    font = _font(size)
    line_height = int(size * 1.35)
    padding = max(4, size // 2)
    strip = min(height, line_height * len(lines) + 2 * padding)
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, height - strip, width, height), fill=(0, 0, 0, 150))
    y = height - strip + padding
    for line in lines:
        draw.text((padding, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_height
    marked = Image.alpha_composite(base, overlay).convert("RGB")
    return _jpeg(clean_rgb(marked))


# --- storage ------------------------------------------------------------------------------

#: "ab/cd/abcd…(32 hex).jpg": the two folders repeat the token's first four hex digits
_KEY = re.compile(r"(?P<a>[0-9a-f]{2})/(?P<b>[0-9a-f]{2})/(?P=a)(?P=b)[0-9a-f]{28}\.[a-z0-9]{1,5}")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")


def new_key(suffix: str = ".jpg") -> str:
    """A fresh storage key from a random token; user-supplied names are never used, so an
    upload cannot choose or guess where it lands. The fan-out keeps folders small."""
    if not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"bad media suffix {suffix!r}")
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}{suffix}"


def check_key(key: str) -> str:
    """Return `key` if it has exactly the shape `new_key` makes; otherwise ValueError.
    This refuses "..", absolute paths, backslashes and anything else a caller might pass."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"bad media key {key!r}")
    return key


class MediaStore(Protocol):
    """Where photo and signature bytes live, addressed by keys from `new_key`."""

    def save(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


class LocalMediaStore:
    """Files under one folder (MEDIA_DIR), written atomically: the bytes go to a temporary
    file in the same folder, are flushed to disk, then renamed over the final name, so a
    crash or a full disk never leaves half a photo under a key a record points to."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def save(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
        try:
            # mkstemp makes the file 0600; nginx (www-data, in the app's group) must read it
            # to send photos by X-Accel-Redirect, and nobody else may.
            os.fchmod(fd, 0o640)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        try:  # make the rename itself durable; not every platform can open a folder
            dir_fd = os.open(target.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)

    def open(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


#: what a stored object is served as; keys only ever end in these for photos and signatures
_CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
#: S3 refuses presigned URLs that live longer than a week
_MAX_URL_SECONDS = 7 * 24 * 3600


def content_type(key: str) -> str:
    """The media type a stored file is served as, from the suffix `new_key` gave it."""
    return _CONTENT_TYPES.get(Path(key).suffix, "application/octet-stream")


class MediaStoreError(RuntimeError):
    """The media store cannot be used as configured (a missing bucket, refused credentials,
    a bad setting): the message says which setting to look at."""


class S3MediaStore:
    """Objects in one private bucket of S3 or an S3-compatible store (MinIO, Ceph, a cloud
    vendor's object storage), addressed by the same keys as the local store.

    `client` does the storage calls; `signer` (a client for S3_PUBLIC_ENDPOINT_URL, or the
    same one) only signs URLs, so phones are sent to the address they can reach while the
    app talks to the store over the internal one. boto3 clients are thread-safe, so one
    pair serves every thread of a worker.
    """

    def __init__(self, client, bucket: str, *, signer=None, url_seconds: int = 300, public_origin: str | None = None):
        self.client = client
        self.signer = signer or client
        self.bucket = bucket
        self.url_seconds = url_seconds
        self.public_origin = public_origin

    def save(self, key: str, data: bytes) -> None:
        # No ACL: objects stay private, readable only through a presigned URL. A PUT
        # replaces an object whole, so a failed upload never leaves half a photo.
        self.client.put_object(
            Bucket=self.bucket, Key=check_key(key), Body=data,
            ContentType=content_type(key), CacheControl="private",
        )

    def open(self, key: str) -> bytes:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except self.client.exceptions.ClientError as exc:
            if _status(exc) == 404:
                raise FileNotFoundError(key) from None
            raise
        with found["Body"] as body:
            return body.read()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except self.client.exceptions.ClientError as exc:
            if _status(exc) == 404:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success, like unlink(missing_ok=True)
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def presigned_url(self, key: str, mimetype: str | None = None) -> str:
        """A GET URL for one object that works for `url_seconds`, then is refused by the store."""
        return self.signer.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_key(key), "ResponseContentType": mimetype or content_type(key)},
            ExpiresIn=self.url_seconds,
        )

    def check_bucket(self) -> None:
        """MediaStoreError when the bucket is missing or the credentials are missing or
        refused; network failures (botocore's own errors) propagate for the caller to judge."""
        from botocore.exceptions import NoCredentialsError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except NoCredentialsError:
            raise MediaStoreError(
                "MEDIA_STORE=s3 needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
            ) from None
        except self.client.exceptions.ClientError as exc:
            status = _status(exc)
            where = self.client.meta.endpoint_url
            if status == 404:
                raise MediaStoreError(
                    f"S3 bucket {self.bucket!r} does not exist at {where}: create it (private) or correct S3_BUCKET."
                ) from None
            if status in (401, 403):
                raise MediaStoreError(
                    f"S3 refused access to bucket {self.bucket!r} at {where} ({status}): check "
                    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket's policy."
                ) from None
            raise


def _status(exc) -> int | None:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _s3_settings(config) -> tuple:
    bucket = (config.get("S3_BUCKET") or "").strip()
    if not bucket:
        raise MediaStoreError("MEDIA_STORE=s3 needs S3_BUCKET (the name of a private bucket).")
    seconds = config.get("S3_URL_SECONDS")
    seconds = 300 if seconds in (None, "") else int(seconds)
    if not 1 <= seconds <= _MAX_URL_SECONDS:
        raise MediaStoreError(f"S3_URL_SECONDS must be between 1 and {_MAX_URL_SECONDS} (a week), not {seconds}.")
    return (
        bucket,
        (config.get("S3_ENDPOINT_URL") or "").strip().rstrip("/") or None,
        (config.get("S3_REGION") or "").strip() or "us-east-1",
        seconds,
        (config.get("S3_PUBLIC_ENDPOINT_URL") or "").strip().rstrip("/") or None,
    )


def _build_s3_store(settings: tuple) -> S3MediaStore:
    import boto3
    from botocore.config import Config as BotoConfig

    bucket, endpoint, region, seconds, public_endpoint = settings
    # Own session: boto3's default session is shared module state and not thread-safe.
    session = boto3.session.Session(region_name=region)

    def client(endpoint_url: str | None):
        return session.client(
            "s3",
            endpoint_url=endpoint_url,
            config=BotoConfig(
                signature_version="s3v4",
                # A store at an address of its own (MinIO, a vendor's endpoint) is reached
                # by path; AWS by the bucket's own host name, its current default.
                s3={"addressing_style": "path" if endpoint_url else "virtual"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                # botocore's default checksums on every upload are refused by many
                # S3-compatible servers; S3 itself does not need them
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    storage = client(endpoint)
    signer = client(public_endpoint) if public_endpoint and public_endpoint != endpoint else storage
    signing_endpoint = signer.meta.endpoint_url
    if public_endpoint or endpoint:
        public_origin = _origin(signing_endpoint)
    else:
        parts = urlsplit(signing_endpoint)
        public_origin = f"{parts.scheme}://{bucket}.{parts.netloc}"
    return S3MediaStore(storage, bucket, signer=signer, url_seconds=seconds, public_origin=public_origin)


_EXTENSION = "estatedesk.media_store"
_building = threading.Lock()


def media_backend(config) -> str:
    """"local" or "s3" (MEDIA_STORE); MediaStoreError for anything else."""
    backend = (config.get("MEDIA_STORE") or "local").strip().lower()
    if backend not in ("local", "s3"):
        raise MediaStoreError(f"MEDIA_STORE must be 'local' or 's3', not {backend!r}.")
    return backend


def store_from_app(app) -> MediaStore:
    """The one place that chooses the storage backend (MEDIA_STORE).

    The S3 clients are built once per worker process and kept in ``app.extensions``;
    a process forked after they were built (a preloading server) builds its own, since
    connection pools must not be shared across processes."""
    if media_backend(app.config) == "local":
        return LocalMediaStore(Path(app.config["MEDIA_DIR"]))
    settings = _s3_settings(app.config)
    identity = (os.getpid(), settings)
    built = app.extensions.get(_EXTENSION)
    if built is None or built[0] != identity:
        with _building:
            built = app.extensions.get(_EXTENSION)
            if built is None or built[0] != identity:
                built = (identity, _build_s3_store(settings))
                app.extensions[_EXTENSION] = built
    return built[1]


def init_app(app) -> None:
    """Check the media settings when the app starts, so that a wrong one stops the service
    with its reason instead of failing the first upload.

    Only definite answers stop a start (a bad setting, no such bucket, access refused):
    an object store that is briefly unreachable must not keep every worker from booting.
    Under the ``flask`` command nothing is checked: ``flask db upgrade`` does not need the
    store, and ``flask media check`` reports what is wrong itself."""
    import click

    if click.get_current_context(silent=True) is not None:
        return
    if media_backend(app.config) != "s3":
        return
    store = store_from_app(app)
    from botocore.exceptions import BotoCoreError

    try:
        store.check_bucket()
    except BotoCoreError as exc:
        log.warning("media store: could not reach S3 bucket %s at startup: %s", store.bucket, exc)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


def check_store(app) -> CheckResult:
    """Write, read back and delete a probe object in the configured store, as an operator
    would after configuring it (``flask media check``)."""
    try:
        store = store_from_app(app)
    except MediaStoreError as exc:
        return CheckResult(False, str(exc))
    where = (
        f"S3 bucket {store.bucket!r} at {store.client.meta.endpoint_url}"
        if isinstance(store, S3MediaStore) else f"folder {store.root}"
    )
    key = new_key(".check")
    probe = secrets.token_bytes(32)
    step = "reaching the bucket"
    try:
        if isinstance(store, S3MediaStore):
            store.check_bucket()
        step = "writing a probe object"
        store.save(key, probe)
        step = "reading it back"
        if store.open(key) != probe:
            return CheckResult(False, f"{where}: the probe object read back differs from what was written.")
        step = "deleting it"
        store.delete(key)
        if store.exists(key):
            return CheckResult(False, f"{where}: the probe object is still there after deleting it.")
    except MediaStoreError as exc:
        return CheckResult(False, str(exc))
    except Exception as exc:  # the operator needs the reason, whatever the library raised
        try:
            store.delete(key)
        except Exception:  # noqa: S110 - the first failure is the one to report
            pass
        return CheckResult(False, f"{where}: {step} failed: {exc}")
    if isinstance(store, S3MediaStore):
        return CheckResult(
            True, f"{where}: write, read and delete work; photos are served from {store.public_origin} "
            f"by URLs valid {store.url_seconds} s.",
        )
    return CheckResult(True, f"{where}: write, read and delete work.")


# --- no orphan files ----------------------------------------------------------------------

_PENDING = "media.pending_files"
_installed: set[type] = set()


def _boundary(transaction: so.SessionTransaction | None) -> so.SessionTransaction | None:
    """The transaction whose commit or rollback decides: the root or a savepoint (flushes
    open plain sub-transactions that roll their parent back with them)."""
    while transaction is not None and not transaction.nested and transaction.parent is not None:
        transaction = transaction.parent
    return transaction


def _pending(session: so.Session) -> list[list]:
    if isinstance(session, so.scoped_session):  # Flask-SQLAlchemy's db.session
        session = session()
    return session.info.setdefault(_PENDING, [])


def delete_files(store: MediaStore, keys: Iterable[str]) -> None:
    """Delete stored files now, logging (never raising) what cannot be deleted: a cleanup
    must never mask the error that caused it."""
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            log.exception("could not delete media %s", key)


def _discard(session: so.Session, transaction) -> None:
    """Delete the files saved in `transaction` (or a savepoint inside it already folded into it)."""
    pending = session.info.get(_PENDING)
    if not pending or transaction is None:
        return
    dropped = [entry for entry in pending if entry[0] is transaction]
    if dropped:
        pending[:] = [entry for entry in pending if entry[0] is not transaction]
        for _, store, key in dropped:
            delete_files(store, [key])


def install_cleanup(session_class: type[so.Session]) -> None:
    """Attach the listeners that delete uncommitted files, once per session class."""
    if session_class in _installed:
        return
    _installed.add(session_class)

    @sa.event.listens_for(session_class, "after_commit")
    def _keep(session: so.Session) -> None:
        pending = session.info.get(_PENDING)
        if not pending:
            return
        committed = session.get_nested_transaction() or session.get_transaction()
        if committed is not None and committed.nested:
            # a released savepoint: its files now live or die with the enclosing transaction
            outer = _boundary(committed.parent)
            for entry in pending:
                if entry[0] is committed:
                    entry[0] = outer
        else:
            pending[:] = [entry for entry in pending if entry[0] is not committed]

    @sa.event.listens_for(session_class, "after_soft_rollback")
    def _rolled_back(session: so.Session, previous_transaction) -> None:
        _discard(session, _boundary(previous_transaction))

    @sa.event.listens_for(session_class, "after_transaction_end")
    def _ended(session: so.Session, transaction) -> None:
        # closed without a commit (session.close(), the end of a request)
        if transaction is _boundary(transaction):
            _discard(session, transaction)


install_cleanup(so.Session)


def current_transaction(session: so.Session) -> so.SessionTransaction:
    """The transaction (or savepoint) files saved now belong to; begins one if none is open."""
    if isinstance(session, so.scoped_session):
        session = session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()
    return transaction


def delete_unless_committed(
    session: so.Session,
    store: MediaStore,
    keys: Iterable[str],
    transaction: so.SessionTransaction | None = None,
) -> None:
    """Files just saved under `keys` stay only if `transaction` (default: the current one)
    commits; a rollback, or the session ending without a commit, deletes them. Take the
    transaction with `current_transaction` before saving when the saving may begin one."""
    transaction = transaction or current_transaction(session)
    _pending(session).extend([transaction, store, key] for key in keys)
