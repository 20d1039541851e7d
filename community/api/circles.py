"""Circles API: one view per operation; rules in ``community.services.circles``, reads in
``community.selectors_circles``. Nothing here moves money, so no Idempotency-Key: every
write is idempotent by its unique constraint (join, like, report, block) or harmless to
repeat (hide, resolve)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from community import selectors_circles as sel
from community.auth import signed_in_user
from community.errors import NotACircleMember, NotCircleModerator
from community.images import MAX_IMAGES
from community.models import Block, Circle, CircleMember, Comment, Post, Report, User
from community.selectors import visible_neighbourhood
from community.services import circles as services
from core.api import LinliAPIView
from core.errors import NotFound

# --- shapes ----------------------------------------------------------------------------------


class CircleAuthorSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.display_name


class CircleSerializer(serializers.ModelSerializer[Circle]):
    my_status = serializers.CharField(allow_null=True, read_only=True)
    my_role = serializers.CharField(allow_null=True, read_only=True)

    class Meta:
        model = Circle
        fields = [
            "id",
            "neighbourhood_id",
            "name",
            "description",
            "join_policy",
            "member_count",
            "my_status",
            "my_role",
        ]


class CircleCommentSerializer(serializers.ModelSerializer[Comment]):
    author = CircleAuthorSerializer()
    hidden = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "post_id", "author", "body", "hidden", "created_at"]

    def get_hidden(self, comment: Comment) -> bool:
        return comment.hidden_at is not None


class CircleImageSerializer(serializers.Serializer[Any]):
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    def get_url(self, picture: Any) -> str:
        url = str(picture.image.url)
        request = self.context.get("request")
        return str(request.build_absolute_uri(url)) if request else url


class CirclePostSerializer(serializers.ModelSerializer[Post]):
    author = CircleAuthorSerializer()
    images = CircleImageSerializer(many=True, source="images.all")
    liked = serializers.BooleanField(source="viewer_liked", default=False)
    hidden = serializers.SerializerMethodField()
    comments = CircleCommentSerializer(
        many=True,
        source="comment_preview",
        default=list,
        help_text="The newest replies (up to three, newest first).",
    )

    class Meta:
        model = Post
        fields = [
            "id",
            "circle_id",
            "author",
            "body",
            "images",
            "like_count",
            "comment_count",
            "liked",
            "hidden",
            "hidden_reason",
            "comments",
            "created_at",
        ]

    def get_hidden(self, post: Post) -> bool:
        return post.hidden_at is not None


class CirclePostDetailSerializer(CirclePostSerializer):
    comments = CircleCommentSerializer(many=True, source="visible_comment_list")


# "status" and "role" are plain strings in the schema: several models use those names for
# different choice sets, and drf-spectacular cannot name their enums apart.
class CircleMemberSerializer(serializers.ModelSerializer[CircleMember]):
    user = CircleAuthorSerializer()
    role = serializers.CharField(read_only=True, help_text="member or admin")
    status = serializers.CharField(read_only=True, help_text="pending or active")

    class Meta:
        model = CircleMember
        fields = ["id", "circle_id", "user", "role", "status", "joined_at"]


class CircleReportSerializer(serializers.ModelSerializer[Report]):
    post = CirclePostSerializer(read_only=True)
    comment = CircleCommentSerializer(read_only=True, allow_null=True)
    reporter = CircleAuthorSerializer()
    status = serializers.CharField(read_only=True, help_text="open, hidden or dismissed")

    class Meta:
        model = Report
        fields = ["id", "post", "comment", "reporter", "reason", "status", "created_at"]


class CircleBlockSerializer(serializers.ModelSerializer[Block]):
    blocked = CircleAuthorSerializer()

    class Meta:
        model = Block
        fields = ["blocked", "created_at"]


def _circle(request: Request, circle_id: int) -> tuple[User, Circle]:
    user = signed_in_user(request)
    return user, sel.circle_visible(user, circle_id)


def _readable_post(request: Request, circle_id: int, post_id: int) -> tuple[User, Post]:
    user, circle = _circle(request, circle_id)
    if not sel.can_read(user, circle):
        raise NotFound()
    return user, sel.post_visible(user, circle, post_id)


def _comment(post: Post, comment_id: int | None) -> Comment | None:
    return sel.comment_of(post, comment_id) if comment_id else None


# --- circles ---------------------------------------------------------------------------------


class CircleListCreateApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=40)
        description = serializers.CharField(max_length=300, required=False, allow_blank=True)
        join_policy = serializers.ChoiceField(
            choices=Circle.JoinPolicy.choices, default=Circle.JoinPolicy.OPEN
        )

    OutputSerializer = CircleSerializer

    @extend_schema(operation_id="circles_list", responses=CircleSerializer(many=True))
    def get(self, request: Request, neighbourhood_id: int) -> Response:
        circles = sel.circles_for(signed_in_user(request), neighbourhood_id)
        return Response(CircleSerializer(circles, many=True).data)

    @extend_schema(
        operation_id="circles_create", request=InputSerializer, responses={201: CircleSerializer}
    )
    def post(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        neighbourhood = visible_neighbourhood(user, neighbourhood_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        circle = services.circle_create(
            user=user, neighbourhood=neighbourhood, **data.validated_data
        )
        return Response(
            CircleSerializer(sel.circle_visible(user, circle.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CircleJoinApi(LinliAPIView):
    OutputSerializer = CircleMemberSerializer

    @extend_schema(operation_id="circles_join", request=None, responses=CircleMemberSerializer)
    def post(self, request: Request, circle_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        member = services.circle_join(user=user, circle=circle)
        return Response(CircleMemberSerializer(member).data)


class CircleLeaveApi(LinliAPIView):
    @extend_schema(operation_id="circles_leave", request=None, responses={204: None})
    def post(self, request: Request, circle_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        services.circle_leave(user=user, circle=circle)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CirclePendingMembersApi(LinliAPIView):
    OutputSerializer = CircleMemberSerializer

    @extend_schema(
        operation_id="circles_pending_members", responses=CircleMemberSerializer(many=True)
    )
    def get(self, request: Request, circle_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        if not sel.can_moderate(user, circle):
            raise NotCircleModerator()
        return Response(CircleMemberSerializer(sel.pending_members(circle), many=True).data)


def _pending(circle: Circle, member_id: int) -> CircleMember:
    member = sel.pending_members(circle).filter(pk=member_id).first()
    if member is None:
        raise NotFound()
    return member


class CircleMemberApproveApi(LinliAPIView):
    OutputSerializer = CircleMemberSerializer

    @extend_schema(
        operation_id="circles_member_approve", request=None, responses=CircleMemberSerializer
    )
    def post(self, request: Request, circle_id: int, member_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        member = services.circle_member_approve(actor=user, member=_pending(circle, member_id))
        return Response(CircleMemberSerializer(member).data)


class CircleMemberRejectApi(LinliAPIView):
    @extend_schema(operation_id="circles_member_reject", request=None, responses={204: None})
    def post(self, request: Request, circle_id: int, member_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        services.circle_member_reject(actor=user, member=_pending(circle, member_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- posts -----------------------------------------------------------------------------------


class CircleFeedSerializer(serializers.Serializer[Any]):
    results = CirclePostSerializer(many=True)
    next_before = serializers.IntegerField(
        allow_null=True, help_text="Pass as ?before= to read the next (older) page."
    )


class CirclePostListCreateApi(LinliAPIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer[Any]):
        body = serializers.CharField(max_length=services.POST_MAX_CHARS)
        images = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            default=list,
            help_text=f"Up to {MAX_IMAGES} JPEG, PNG or WebP pictures (10 MB each).",
        )

    OutputSerializer = CirclePostSerializer

    @extend_schema(
        operation_id="circles_feed",
        parameters=[OpenApiParameter("before", int, description="The last post id seen.")],
        responses=CircleFeedSerializer,
    )
    def get(self, request: Request, circle_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        if not sel.can_read(user, circle):
            raise NotACircleMember()
        before = request.query_params.get("before", "")
        posts = sel.feed(user, circle, before=int(before) if before.isdigit() else None)
        more = len(posts) > sel.FEED_PAGE_SIZE
        posts = posts[: sel.FEED_PAGE_SIZE]
        return Response(
            {
                "results": CirclePostSerializer(
                    posts, many=True, context={"request": request}
                ).data,
                "next_before": posts[-1].pk if more else None,
            }
        )

    @extend_schema(
        operation_id="circles_post_create",
        request={"multipart/form-data": InputSerializer},
        responses={201: CirclePostSerializer},
    )
    def post(self, request: Request, circle_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        body = request.data.get("body", "") if isinstance(request.data, dict) else ""
        data = self.InputSerializer(data={"body": body, "images": request.FILES.getlist("images")})
        data.is_valid(raise_exception=True)
        post = services.post_create(author=user, circle=circle, **data.validated_data)
        post = sel.post_visible(user, circle, post.pk)
        return Response(
            CirclePostSerializer(post, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CirclePostDetailApi(LinliAPIView):
    OutputSerializer = CirclePostDetailSerializer

    @extend_schema(operation_id="circles_post_detail", responses=CirclePostDetailSerializer)
    def get(self, request: Request, circle_id: int, post_id: int) -> Response:
        _user, post = _readable_post(request, circle_id, post_id)
        return Response(CirclePostDetailSerializer(post, context={"request": request}).data)


class CircleCommentCreateApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        body = serializers.CharField(max_length=services.COMMENT_MAX_CHARS)

    OutputSerializer = CircleCommentSerializer

    @extend_schema(
        operation_id="circles_comment_create",
        request=InputSerializer,
        responses={201: CircleCommentSerializer},
    )
    def post(self, request: Request, circle_id: int, post_id: int) -> Response:
        user, post = _readable_post(request, circle_id, post_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(author=user, post=post, **data.validated_data)
        return Response(CircleCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CircleLikeSerializer(serializers.Serializer[Any]):
    liked = serializers.BooleanField()
    like_count = serializers.IntegerField()


class CirclePostLikeApi(LinliAPIView):
    """POST likes, DELETE takes the like back; both idempotent."""

    OutputSerializer = CircleLikeSerializer

    def _answer(self, user: User, post: Post) -> Response:
        post.refresh_from_db(fields=["like_count"])
        liked = post.likes.filter(user_id=user.pk).exists()
        return Response({"liked": liked, "like_count": post.like_count})

    @extend_schema(operation_id="circles_post_like", request=None, responses=CircleLikeSerializer)
    def post(self, request: Request, circle_id: int, post_id: int) -> Response:
        user, post = _readable_post(request, circle_id, post_id)
        services.post_like(user=user, post=post)
        return self._answer(user, post)

    @extend_schema(
        operation_id="circles_post_unlike", request=None, responses={200: CircleLikeSerializer}
    )
    def delete(self, request: Request, circle_id: int, post_id: int) -> Response:
        user, post = _readable_post(request, circle_id, post_id)
        services.post_unlike(user=user, post=post)
        return self._answer(user, post)


# --- reports and moderation ------------------------------------------------------------------


class CircleReportCreateApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=services.REASON_MAX_CHARS)
        comment_id = serializers.IntegerField(required=False, allow_null=True, default=None)

    class OutputSerializer(serializers.ModelSerializer[Report]):
        status = serializers.CharField(read_only=True, help_text="open, hidden or dismissed")

        class Meta:
            model = Report
            fields = ["id", "post_id", "comment_id", "reason", "status", "created_at"]

    @extend_schema(
        operation_id="circles_report_create",
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, circle_id: int, post_id: int) -> Response:
        user, post = _readable_post(request, circle_id, post_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(
            reporter=user,
            post=post,
            comment=_comment(post, data.validated_data["comment_id"]),
            reason=data.validated_data["reason"],
        )
        return Response(self.OutputSerializer(report).data, status=status.HTTP_201_CREATED)


class CircleContentHideApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=services.REASON_MAX_CHARS)
        comment_id = serializers.IntegerField(required=False, allow_null=True, default=None)

    class OutputSerializer(serializers.Serializer[Any]):
        post_id = serializers.IntegerField()
        comment_id = serializers.IntegerField(allow_null=True)
        hidden = serializers.BooleanField()

    @extend_schema(
        operation_id="circles_content_hide", request=InputSerializer, responses=OutputSerializer
    )
    def post(self, request: Request, circle_id: int, post_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        post = sel.post_for_moderation(circle, post_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = _comment(post, data.validated_data["comment_id"])
        reason = data.validated_data["reason"]
        if comment is not None:
            services.comment_hide(actor=user, comment=comment, reason=reason)
        else:
            services.post_hide(actor=user, post=post, reason=reason)
        return Response(
            {"post_id": post.pk, "comment_id": comment.pk if comment else None, "hidden": True}
        )


class CircleReportListApi(LinliAPIView):
    OutputSerializer = CircleReportSerializer

    @extend_schema(operation_id="circles_reports_list", responses=CircleReportSerializer(many=True))
    def get(self, request: Request, circle_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        if not sel.can_moderate(user, circle):
            raise NotCircleModerator()
        reports = sel.open_reports(circle).prefetch_related("post__images")
        return Response(
            CircleReportSerializer(reports, many=True, context={"request": request}).data
        )


class CircleReportResolveApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        action = serializers.ChoiceField(choices=["hide", "dismiss"])
        reason = serializers.CharField(
            max_length=services.REASON_MAX_CHARS, required=False, allow_blank=True, default=""
        )

    class OutputSerializer(serializers.ModelSerializer[Report]):
        status = serializers.CharField(read_only=True, help_text="open, hidden or dismissed")

        class Meta:
            model = Report
            fields = ["id", "status", "handled_at"]

    @extend_schema(
        operation_id="circles_report_resolve", request=InputSerializer, responses=OutputSerializer
    )
    def post(self, request: Request, circle_id: int, report_id: int) -> Response:
        user, circle = _circle(request, circle_id)
        report = sel.report_of(circle, report_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_resolve(actor=user, report=report, **data.validated_data)
        return Response(self.OutputSerializer(report).data)


# --- blocks ----------------------------------------------------------------------------------


class BlockListCreateApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        user_id = serializers.IntegerField()

    OutputSerializer = CircleBlockSerializer

    @extend_schema(operation_id="blocks_list", responses=CircleBlockSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            CircleBlockSerializer(sel.blocks_of(signed_in_user(request)), many=True).data
        )

    @extend_schema(
        operation_id="blocks_create", request=InputSerializer, responses=CircleBlockSerializer
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        blocked = sel.neighbour_visible(user, data.validated_data["user_id"])
        block = services.block_create(blocker=user, blocked=blocked)
        return Response(CircleBlockSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDeleteApi(LinliAPIView):
    @extend_schema(operation_id="blocks_delete", request=None, responses={204: None})
    def delete(self, request: Request, user_id: int) -> Response:
        services.block_delete(blocker=signed_in_user(request), blocked_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
