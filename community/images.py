"""Pictures posted in circles: checked by what they are, re-encoded without metadata.

A phone photo carries where it was taken (GPS), the device and often the owner's name;
neighbours must not learn where someone lives from a picture of their cat. So nothing of
the uploaded file is stored: its pixels are decoded, turned upright by the EXIF
orientation, converted to sRGB if they carry a colour profile, and encoded afresh into a
new image that has no EXIF, XMP, ICC profile or text chunks. Animated files keep only
their first frame.

The type is decided by Pillow from the content, never by the file name or the declared
content type. Size and pixel count are checked before decoding, so a decompression bomb
is refused from its header.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.base import ContentFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from community.errors import ImageRejected

MAX_IMAGES = 9
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85

# Pillow format name -> (file extension, modes the encoder is given).
_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "JPEG": ("jpg", ("RGB", "L")),
    "PNG": ("png", ("RGB", "RGBA", "L", "LA")),
    "WEBP": ("webp", ("RGB", "RGBA")),
}

_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded picture ready to be saved: a fresh name and the new bytes."""

    content: ContentFile[bytes]
    width: int
    height: int


def _name(upload: Any) -> str:
    return str(getattr(upload, "name", "") or _("picture"))


def _refuse(message: str | Promise) -> ImageRejected:
    return ImageRejected(fields={"images": [message]})


def clean_images(uploads: Sequence[Any]) -> list[CleanImage]:
    """Check and re-encode every upload, or raise ``ImageRejected`` naming the first bad one.

    Nothing is written anywhere: the caller saves the results once all of them passed.
    """
    if len(uploads) > MAX_IMAGES:
        raise _refuse(_("Add at most %(count)d pictures to one post.") % {"count": MAX_IMAGES})
    return [clean_image(upload) for upload in uploads]


def clean_image(upload: IO[bytes] | Any) -> CleanImage:
    """One upload: JPEG, PNG or WebP by content, at most 10 MB and 40 megapixels."""
    name = _name(upload)
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > MAX_BYTES:
        raise _refuse(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": name, "limit": MAX_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    try:
        # Image.open reads only the header: the format and size are known before decoding.
        source = Image.open(upload)
        if source.format not in _FORMATS:
            raise _refuse(_("%(name)s is not a JPEG, PNG or WebP picture.") % {"name": name})
        width, height = source.size
        if width * height > MAX_PIXELS:
            raise _refuse(
                _("%(name)s has more than %(limit)d million pixels.")
                % {"name": name, "limit": MAX_PIXELS // 1_000_000}
            )
        source.load()
        image = _upright_srgb(source)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise _refuse(_("%(name)s is not a JPEG, PNG or WebP picture.") % {"name": name}) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Truncated or corrupt data: Pillow raises one of these while decoding.
        raise _refuse(_("%(name)s is damaged and cannot be read.") % {"name": name}) from None
    fmt = str(source.format)
    extension, modes = _FORMATS[fmt]
    return CleanImage(
        content=ContentFile(_encode(image, fmt, modes), name=f"{uuid.uuid4().hex}.{extension}"),
        width=image.width,
        height=image.height,
    )


def _upright_srgb(source: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(source) or source
    profile = source.info.get("icc_profile")
    if profile and image.mode in {"RGB", "RGBA"}:
        # A broken profile: keep the pixels as they are; the profile is dropped anyway.
        with contextlib.suppress(ImageCms.PyCMSError):
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(profile)), _SRGB, outputMode=image.mode
            )
            image = converted or image
    return image


def _encode(image: Image.Image, fmt: str, modes: tuple[str, ...]) -> bytes:
    if image.mode not in modes:
        has_alpha = "A" in image.mode or "transparency" in image.info
        target = "RGBA" if has_alpha and "RGBA" in modes else "RGB"
        image = image.convert(target)
    # A new image from the raw pixels carries no info dict at all (EXIF, XMP, ICC, text),
    # so no encoder can copy metadata over by default.
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options = {"quality": JPEG_QUALITY, "optimize": True}
    elif fmt == "WEBP":
        options = {"quality": JPEG_QUALITY}
    bare.save(out, format=fmt, **options)
    return out.getvalue()
