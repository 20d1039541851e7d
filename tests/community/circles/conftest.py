"""Fixtures of the circle tests: an estate with a circle, residents in it, pictures.

Uploaded pictures go to a fresh MEDIA_ROOT per test, so nothing lands in the project.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from community.models import Circle, Membership
from community.services import circles as services
from community.services.circles import circle_join
from tests.community.conftest import make_member, make_staff


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def resident(estate, name: str, *, status: str = Membership.Status.MEMBER):
    """A confirmed resident (or visitor) of ``estate`` called ``name``; no PIN (no money)."""
    return make_member(estate, pin=None, display_name=name, status=status)


def member_of(circle: Circle, name: str, *, status: str = Membership.Status.MEMBER):
    user = resident(circle.neighbourhood, name, status=status)
    circle_join(user=user, circle=circle)
    return user


def photo(
    name: str = "cat.jpg",
    *,
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    orientation: int | None = None,
) -> SimpleUploadedFile:
    """A picture as a phone makes it: EXIF with the maker and the GPS position."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 14.0, 5.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (121.0, 28.0, 1.0),
    }
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    buffer = BytesIO()
    image.save(buffer, fmt, exif=exif.tobytes())
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def busy_circle(circle, admin, *, posts: int):
    """``posts`` posts, each with two pictures, two replies and a like."""
    people = [member_of(circle, f"跑友{i}") for i in range(3)]
    for number in range(posts):
        author = people[number % len(people)]
        post = services.post_create(
            author=author, circle=circle, body=f"帖子{number}", images=[photo(), photo()]
        )
        services.comment_create(author=admin, post=post, body="赞")
        services.comment_create(author=people[0], post=post, body="同去")
        services.post_like(user=admin, post=post)
        services.report_create(reporter=people[1], post=post, reason="测试")
    return people


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def admin(estate):
    return resident(estate, "李雷")


@pytest.fixture
def circle(admin, estate) -> Circle:
    return services.circle_create(user=admin, neighbourhood=estate, name="跑步群")


@pytest.fixture
def runner(circle):
    """A confirmed resident and active member of the circle."""
    return member_of(circle, "王芳")


@pytest.fixture
def staff(estate):
    return make_staff(estate, display_name="物业小张")
