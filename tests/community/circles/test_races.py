"""Likes and joins racing on PostgreSQL with real threads: the counters stay exact."""

from __future__ import annotations

import pytest

from community.models import Circle, CircleMember, Like, Post
from community.services import circles as services
from tests.community.circles.conftest import member_of, resident
from tests.concurrency.conftest import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_likes_count_every_person_once(circle, admin):
    # Given a post and twelve members, three of whom press "like" twice at the same moment
    post = services.post_create(author=admin, circle=circle, body="新年快乐")
    people = [member_of(circle, f"邻居{n}") for n in range(12)]
    presses = people + people[:3]

    # When every press runs on its own connection at once
    outcomes = run_together(
        [(lambda person=person: services.post_like(user=person, post=post)) for person in presses]
    )

    # Then nobody failed, twelve presses added a like, the doubles added none
    assert [o.error for o in outcomes if o.error] == []
    assert sum(1 for o in outcomes if o.value is True) == 12
    post = Post.objects.get(pk=post.pk)
    assert post.like_count == 12 == Like.objects.filter(post=post).count()


def test_concurrent_like_and_unlike_leave_the_count_equal_to_the_rows(circle, admin):
    post = services.post_create(author=admin, circle=circle, body="投票")
    people = [member_of(circle, f"邻居{n}") for n in range(8)]
    for person in people[:4]:
        services.post_like(user=person, post=post)

    run_together(
        [(lambda p=p: services.post_unlike(user=p, post=post)) for p in people[:4]]
        + [(lambda p=p: services.post_like(user=p, post=post)) for p in people[4:]]
    )

    post = Post.objects.get(pk=post.pk)
    assert post.like_count == Like.objects.filter(post=post).count() == 4


def test_concurrent_joins_count_each_person_once(circle):
    people = [resident(circle.neighbourhood, f"新人{n}") for n in range(6)]
    presses = people + people  # everyone double-clicks

    outcomes = run_together(
        [(lambda p=p: services.circle_join(user=p, circle=circle)) for p in presses]
    )

    assert [o.error for o in outcomes if o.error] == []
    circle = Circle.objects.get(pk=circle.pk)
    active = CircleMember.objects.filter(circle=circle, status="active").count()
    assert circle.member_count == active == 7
