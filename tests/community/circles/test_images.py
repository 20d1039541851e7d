"""Pictures: checked by content, re-encoded without metadata, refused with field errors."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from community import images
from community.errors import ImageRejected
from community.models import Post, PostImage
from community.services.circles import post_create
from tests.community.circles.conftest import photo

pytestmark = pytest.mark.django_db


def stored_bytes(post: Post, position: int = 0) -> bytes:
    picture = post.images.get(position=position)
    with picture.image.open("rb") as handle:
        return handle.read()


def test_a_phone_photo_is_stored_without_exif_or_gps(circle, runner):
    # Given a JPEG with the phone's maker and a GPS position in its EXIF
    upload = photo("IMG_0001.jpg")
    assert b"SecretPhoneMaker" in upload.read()
    upload.seek(0)

    # When it is posted
    post = post_create(author=runner, circle=circle, body="晨跑", images=[upload])

    # Then the stored file is a JPEG with no EXIF at all, and not under the original name
    data = stored_bytes(post)
    stored = Image.open(BytesIO(data))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert b"Exif" not in data and b"SecretPhoneMaker" not in data
    picture = post.images.get()
    assert "IMG_0001" not in picture.image.name
    assert (picture.width, picture.height) == (64, 48)


def test_the_exif_orientation_is_applied_before_it_is_dropped(circle, runner):
    # Given a landscape sensor image tagged "rotate 90° clockwise to view" (orientation 6)
    upload = photo(size=(64, 48), orientation=6)

    post = post_create(author=runner, circle=circle, body="竖拍", images=[upload])

    # Then the stored picture is upright (portrait) and carries no orientation tag
    stored = Image.open(BytesIO(stored_bytes(post)))
    assert stored.size == (48, 64)
    assert dict(stored.getexif()) == {}


def test_png_loses_its_colour_profile_and_text_chunks():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 12 Sunny Road")
    buffer = BytesIO()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(
        buffer, "PNG", pnginfo=info, icc_profile=profile
    )

    clean = images.clean_image(SimpleUploadedFile("a.png", buffer.getvalue()))

    data = clean.content.read()
    stored = Image.open(BytesIO(data))
    assert stored.format == "PNG" and stored.mode == "RGBA"
    assert "icc_profile" not in stored.info and "Comment" not in stored.info
    assert b"Sunny Road" not in data


def test_webp_is_accepted_and_stays_webp():
    buffer = BytesIO()
    Image.new("RGB", (20, 10), "green").save(buffer, "WEBP")
    clean = images.clean_image(SimpleUploadedFile("x.bin", buffer.getvalue()))
    assert clean.content.name.endswith(".webp") and (clean.width, clean.height) == (20, 10)


def test_a_text_file_named_jpg_is_refused_and_nothing_is_saved(circle, runner):
    fake = SimpleUploadedFile("holiday.jpg", b"just some text, not a picture", "image/jpeg")

    with pytest.raises(ImageRejected) as refused:
        post_create(author=runner, circle=circle, body="看照片", images=[photo(), fake])

    assert refused.value.code == "image_rejected"
    assert "holiday.jpg" in str(refused.value.fields["images"][0])
    assert not Post.objects.exists() and not PostImage.objects.exists()


def test_a_gif_is_refused_by_its_content_even_when_named_png():
    buffer = BytesIO()
    Image.new("P", (4, 4)).save(buffer, "GIF")
    with pytest.raises(ImageRejected):
        images.clean_image(SimpleUploadedFile("sneaky.png", buffer.getvalue()))


def test_a_truncated_jpeg_is_refused_as_damaged():
    data = photo(size=(400, 300)).read()
    with pytest.raises(ImageRejected) as refused:
        images.clean_image(SimpleUploadedFile("half.jpg", data[: len(data) // 2]))
    assert "damaged" in str(refused.value.fields["images"][0])


def test_ten_pictures_are_refused(circle, runner):
    with pytest.raises(ImageRejected) as refused:
        post_create(author=runner, circle=circle, body="十张", images=[photo() for _ in range(10)])
    assert "9" in str(refused.value.fields["images"][0])
    assert not Post.objects.exists()


def test_nine_pictures_are_fine(circle, runner):
    post = post_create(
        author=runner, circle=circle, body="九宫格", images=[photo() for _ in range(9)]
    )
    assert list(post.images.values_list("position", flat=True)) == list(range(9))


def test_a_file_over_10_mb_is_refused_before_it_is_decoded():
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\0" * (images.MAX_BYTES + 1))
    with pytest.raises(ImageRejected) as refused:
        images.clean_image(big)
    assert "10 MB" in str(refused.value.fields["images"][0])


def test_more_than_40_megapixels_is_refused_from_the_header():
    # A one-bit PNG of 8000 x 5001 pixels is small on disk but above the limit.
    buffer = BytesIO()
    Image.new("1", (8000, 5001)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < images.MAX_BYTES

    with pytest.raises(ImageRejected) as refused:
        images.clean_image(SimpleUploadedFile("panorama.png", buffer.getvalue()))

    assert "40 million pixels" in str(refused.value.fields["images"][0])
