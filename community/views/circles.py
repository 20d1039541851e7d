"""Circle pages: an estate's circles, a circle's feed with its composer, a post with its
comments, the moderation queue and the blocked list. Rules live in
``community.services.circles``; reads in ``community.selectors_circles``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from community import selectors_circles as sel
from community.auth import signed_in_user
from community.images import MAX_IMAGES
from community.models import Circle, CircleMember, Report
from community.selectors import is_confirmed_member, is_estate_staff, visible_neighbourhood
from community.services import circles as services
from community.services.redpackets import circle_red_packets
from core.errors import ApplicationError, NotFound

# --- forms (thin: shapes of input; the rules are in the services) ---------------------------


class CircleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=40)
    description = forms.CharField(
        label=gettext_lazy("What is it about?"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    join_policy = forms.ChoiceField(
        label=gettext_lazy("Who may join"),
        choices=Circle.JoinPolicy.choices,
        initial=Circle.JoinPolicy.OPEN,
    )


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Up to nine files; what they are is checked by ``community.images``, not here."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleImageField, self).clean(item, initial) for item in files if item]


class PostForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Share with the circle"),
        max_length=services.POST_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    images = MultipleImageField(
        label=gettext_lazy("Pictures (up to %(count)d)") % {"count": MAX_IMAGES}, required=False
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Reply"),
        max_length=services.COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _show(form: forms.Form, error: ApplicationError) -> None:
    placed = False
    for name, problems in error.fields.items():
        if name in form.fields:
            for problem in problems:
                form.add_error(name, str(problem))
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _post_of(request: HttpRequest, circle_id: int, post_id: int) -> tuple[Circle, Any]:
    user = signed_in_user(request)
    circle = sel.circle_visible(user, circle_id)
    if not sel.can_read(user, circle):
        raise NotFound()
    return circle, sel.post_visible(user, circle, post_id)


# --- an estate's circles ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def circle_list(request: HttpRequest, neighbourhood_id: int) -> HttpResponse:
    user = signed_in_user(request)
    neighbourhood = visible_neighbourhood(user, neighbourhood_id)
    may_create = is_confirmed_member(user, neighbourhood.pk) or is_estate_staff(
        user, neighbourhood.pk
    )
    form = CircleForm(request.POST or None)
    status = 200
    if request.method == "POST" and may_create and form.is_valid():
        try:
            circle = services.circle_create(
                user=user, neighbourhood=neighbourhood, **form.cleaned_data
            )
        except ApplicationError as error:
            _show(form, error)
            status = error.status_code
        else:
            messages.success(request, _("Your circle is open."))
            return redirect("circle-detail", circle.pk)
    return render(
        request,
        "community/circles/list.html",
        {
            "neighbourhood": neighbourhood,
            "circles": sel.circles_for(user, neighbourhood.pk),
            "form": form,
            "may_create": may_create,
        },
        status=status,
    )


@login_required
@require_POST
def circle_join(request: HttpRequest, circle_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = sel.circle_visible(user, circle_id)
    member = services.circle_join(user=user, circle=circle)
    if member.status == CircleMember.Status.PENDING:
        messages.info(request, _("Request sent. An admin of the circle will let you in."))
    else:
        messages.success(request, _("You joined %(circle)s.") % {"circle": circle.name})
    return _back(request, reverse("circle-detail", args=[circle.pk]))


@login_required
@require_POST
def circle_leave(request: HttpRequest, circle_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = sel.circle_visible(user, circle_id)
    services.circle_leave(user=user, circle=circle)
    messages.success(request, _("You left %(circle)s.") % {"circle": circle.name})
    return redirect("circle-list", circle.neighbourhood_id)


@login_required
@require_POST
def circle_member_decide(request: HttpRequest, circle_id: int, member_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = sel.circle_visible(user, circle_id)
    member = sel.pending_members(circle).filter(pk=member_id).first()
    if member is None:
        raise NotFound()
    try:
        if request.POST.get("action") == "approve":
            services.circle_member_approve(actor=user, member=member)
        else:
            services.circle_member_reject(actor=user, member=member)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect("circle-detail", circle.pk)


# --- a circle's feed -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def circle_detail(request: HttpRequest, circle_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = sel.circle_visible(user, circle_id)
    readable = sel.can_read(user, circle)
    is_active = circle.my_status == CircleMember.Status.ACTIVE  # type: ignore[attr-defined]
    may_post = is_active and is_confirmed_member(user, circle.neighbourhood_id)
    may_moderate = sel.can_moderate(user, circle)
    form = PostForm(request.POST or None, request.FILES or None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.post_create(
                author=user,
                circle=circle,
                body=form.cleaned_data["body"],
                images=form.cleaned_data["images"],
            )
        except ApplicationError as error:
            _show(form, error)
            status = error.status_code
        else:
            messages.success(request, _("Posted."))
            return redirect("circle-detail", circle.pk)
    before = request.GET.get("before", "")
    posts = (
        sel.feed(user, circle, before=int(before) if before.isdigit() else None) if readable else []
    )
    more = len(posts) > sel.FEED_PAGE_SIZE
    posts = posts[: sel.FEED_PAGE_SIZE]
    return render(
        request,
        "community/circles/detail.html",
        {
            "circle": circle,
            "posts": posts,
            "next_before": posts[-1].pk if more else None,
            "readable": readable,
            "may_post": may_post,
            "may_moderate": may_moderate,
            "pending": list(sel.pending_members(circle)) if may_moderate else [],
            "red_packets": list(circle_red_packets(circle, user)) if is_active else [],
            "form": form,
            "comment_form": CommentForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_detail(request: HttpRequest, circle_id: int, post_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle, post = _post_of(request, circle_id, post_id)
    form = CommentForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_create(author=user, post=post, body=form.cleaned_data["body"])
        except ApplicationError as error:
            _show(form, error)
            status = error.status_code
        else:
            return redirect("circle-post", circle.pk, post.pk)
    return render(
        request,
        "community/circles/post.html",
        {
            "circle": circle,
            "post": post,
            "form": form,
            "may_moderate": sel.can_moderate(user, circle),
        },
        status=status,
    )


@login_required
@require_POST
def post_like(request: HttpRequest, circle_id: int, post_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle, post = _post_of(request, circle_id, post_id)
    try:
        if request.POST.get("action") == "unlike":
            services.post_unlike(user=user, post=post)
        else:
            services.post_like(user=user, post=post)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return _back(request, reverse("circle-post", args=[circle.pk, post.pk]))


@login_required
@require_POST
def post_report(request: HttpRequest, circle_id: int, post_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle, post = _post_of(request, circle_id, post_id)
    comment_id = request.POST.get("comment", "")
    comment = sel.comment_of(post, int(comment_id)) if comment_id.isdigit() else None
    try:
        services.report_create(
            reporter=user, post=post, comment=comment, reason=request.POST.get("reason", "")
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Thank you. The circle's moderators will look at it."))
    return _back(request, reverse("circle-post", args=[circle.pk, post.pk]))


@login_required
@require_POST
def post_hide(request: HttpRequest, circle_id: int, post_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = sel.circle_visible(user, circle_id)
    post = sel.post_for_moderation(circle, post_id)
    comment_id = request.POST.get("comment", "")
    reason = request.POST.get("reason", "") or _("Hidden by a moderator")
    try:
        if comment_id.isdigit():
            comment = sel.comment_of(post, int(comment_id))
            services.comment_hide(actor=user, comment=comment, reason=reason)
        else:
            services.post_hide(actor=user, post=post, reason=reason)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return _back(request, reverse("circle-detail", args=[circle.pk]))
    messages.success(request, _("Hidden."))
    return _back(request, reverse("circle-detail", args=[circle.pk]))


# --- moderation ------------------------------------------------------------------------------


@login_required
def report_queue(request: HttpRequest, circle_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = sel.circle_visible(user, circle_id)
    if not sel.can_moderate(user, circle):
        raise NotFound()
    return render(
        request,
        "community/circles/reports.html",
        {"circle": circle, "reports": sel.open_reports(circle)},
    )


@login_required
@require_POST
def report_decide(request: HttpRequest, circle_id: int, report_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = sel.circle_visible(user, circle_id)
    report: Report = sel.report_of(circle, report_id)
    try:
        services.report_resolve(
            actor=user,
            report=report,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect("circle-reports", circle.pk)


# --- blocks ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def blocks(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        user_id = request.POST.get("user", "")
        if not user_id.isdigit():
            raise NotFound()
        blocked = sel.neighbour_visible(user, int(user_id))
        try:
            services.block_create(blocker=user, blocked=blocked)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("You will no longer see what %(name)s posts.")
                % {"name": blocked.display_name or _("this neighbour")},
            )
        return _back(request, reverse("circle-blocks"))
    return render(request, "community/circles/blocks.html", {"blocks": sel.blocks_of(user)})


@login_required
@require_POST
def block_delete(request: HttpRequest, user_id: int) -> HttpResponse:
    user = signed_in_user(request)
    services.block_delete(blocker=user, blocked_id=user_id)
    messages.success(request, _("Unblocked."))
    return redirect("circle-blocks")
