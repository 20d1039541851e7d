"""Estate pages: my estates and the directory, the estate page, members for staff, and
announcements (feed, detail with read receipts, compose, edit, pin, withdraw)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.auth import signed_in_user
from community.errors import MembershipNotFollowed, NotEstateStaff
from community.models import Announcement, Membership, Neighbourhood
from community.selectors import membership_of, visible_neighbourhood
from community.services import announcements as notices
from community.services import neighbourhoods as estates
from core.errors import ApplicationError

PAGE_SIZE = 20
ESTATE_PAGE_ANNOUNCEMENTS = 10


# --- forms ---------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Find an estate by name or city"), max_length=50, required=False
    )


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    body = forms.CharField(label=gettext_lazy("Text"), max_length=5000, widget=forms.Textarea)
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"),
        choices=Announcement.Urgency.choices,
        initial=Announcement.Urgency.NORMAL,
        help_text=gettext_lazy("Urgent announcements also go to every resident's inbox."),
    )
    pinned = forms.BooleanField(label=gettext_lazy("Pin to the top"), required=False)
    # Buildings belong to the property app, which community must not import: until it
    # passes names, staff pick from the building numbers residents were confirmed in, or
    # type others.
    buildings = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Only these buildings"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave empty to tell the whole estate."),
    )
    other_buildings = forms.CharField(
        label=gettext_lazy("Other building numbers"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Comma-separated, such as 3, 5, 12."),
    )

    def __init__(self, *args: Any, building_refs: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["buildings"].choices = [  # type: ignore[attr-defined]
            (ref, _("Building %(ref)s") % {"ref": ref}) for ref in building_refs
        ]

    def building_refs(self) -> list[int]:
        typed = [part for part in self.cleaned_data["other_buildings"].split(",") if part.strip()]
        return notices.clean_building_refs([*self.cleaned_data["buildings"], *typed])


class AnnouncementEditForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    body = forms.CharField(label=gettext_lazy("Text"), max_length=5000, widget=forms.Textarea)


# --- helpers -------------------------------------------------------------------------------


def _optional_url(name: str, estate_id: int) -> str | None:
    """Circles and neighbour help are built beside this page; link them once they exist."""
    try:
        return reverse(name, args=[estate_id])
    except NoReverseMatch:
        return None


def _staff_estate(request: HttpRequest, estate_id: int) -> tuple[Any, Neighbourhood]:
    user = signed_in_user(request)
    neighbourhood = visible_neighbourhood(user, estate_id)
    membership = membership_of(user, estate_id)
    if membership is None or membership.status != Membership.Status.STAFF:
        raise PermissionDenied
    return user, neighbourhood


def _show_errors(form: forms.Form, error: ApplicationError) -> None:
    if not error.fields:
        form.add_error(None, str(error.message))
    for name, errors in error.fields.items():
        field = name if name in form.fields else None
        if name == "building_refs":
            field = "other_buildings"
        for message in errors:
            form.add_error(field, str(message))


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


# --- estates -------------------------------------------------------------------------------


@login_required
@require_GET
def estate_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        results = estates.estate_search(user, form.cleaned_data["q"])
    return render(
        request,
        "community/estates/list.html",
        {"memberships": estates.my_memberships(user), "form": form, "results": results},
    )


@login_required
@require_POST
def estate_follow(request: HttpRequest, estate_id: int) -> HttpResponse:
    membership = estates.estate_follow(user=signed_in_user(request), neighbourhood_id=estate_id)
    if membership.status == Membership.Status.VISITOR:
        messages.success(
            request,
            _("You follow %(estate)s. You can read its notices.")
            % {"estate": membership.neighbourhood},
        )
    return redirect("estate-detail", estate_id)


@login_required
@require_POST
def estate_unfollow(request: HttpRequest, estate_id: int) -> HttpResponse:
    try:
        estates.estate_unfollow(user=signed_in_user(request), neighbourhood_id=estate_id)
    except MembershipNotFollowed as error:
        messages.error(request, str(error.message))
        return redirect("estate-detail", estate_id)
    messages.success(request, _("You no longer follow this estate."))
    return _back(request, reverse("estates"))


@login_required
@require_GET
def estate_detail(request: HttpRequest, estate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    neighbourhood = visible_neighbourhood(user, estate_id)
    membership = membership_of(user, estate_id)
    feed = notices.visible_announcements(user, neighbourhood)
    is_staff = membership is not None and membership.status == Membership.Status.STAFF
    return render(
        request,
        "community/estates/detail.html",
        {
            "estate": neighbourhood,
            "membership": membership,
            "is_staff": is_staff,
            "announcements": list(feed[:ESTATE_PAGE_ANNOUNCEMENTS]),
            "unread_count": 0
            if is_staff
            else notices.unread_announcement_count(user, neighbourhood),
            "circles_url": reverse("circle-list", args=[estate_id]),
            "help_url": reverse("help-board", args=[estate_id]),
            # The shop directory belongs to a higher layer: linked only when it is installed.
            "shops_url": _optional_url("estate-shops", estate_id),
        },
    )


@login_required
@require_GET
def estate_members(request: HttpRequest, estate_id: int) -> HttpResponse:
    user, neighbourhood = _staff_estate(request, estate_id)
    page = Paginator(estates.estate_members(user, estate_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(m, estates.phone_for_staff(m.user.phone)) for m in page.object_list]
    return render(
        request,
        "community/estates/members.html",
        {"estate": neighbourhood, "page": page, "rows": rows},
    )


# --- announcements -------------------------------------------------------------------------


@login_required
@require_GET
def announcement_list(request: HttpRequest, estate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    neighbourhood = visible_neighbourhood(user, estate_id)
    membership = membership_of(user, estate_id)
    page = Paginator(notices.visible_announcements(user, neighbourhood), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "community/estates/announcements.html",
        {
            "estate": neighbourhood,
            "page": page,
            "is_staff": membership is not None and membership.status == Membership.Status.STAFF,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def announcement_new(request: HttpRequest, estate_id: int) -> HttpResponse:
    user, neighbourhood = _staff_estate(request, estate_id)
    form = AnnouncementForm(
        request.POST or None, building_refs=estates.estate_building_refs(estate_id)
    )
    if request.method == "POST" and form.is_valid():
        try:
            announcement = notices.announcement_publish(
                author=user,
                neighbourhood=neighbourhood,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                urgency=form.cleaned_data["urgency"],
                pinned=form.cleaned_data["pinned"],
                building_refs=form.building_refs(),
            )
        except ApplicationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request,
                _("Published to %(count)d residents.") % {"count": announcement.audience_count},
            )
            return redirect("estate-announcement", estate_id, announcement.pk)
    return render(
        request, "community/estates/compose.html", {"estate": neighbourhood, "form": form}
    )


@login_required
@require_GET
def announcement_detail(request: HttpRequest, estate_id: int, announcement_id: int) -> HttpResponse:
    user = signed_in_user(request)
    neighbourhood = visible_neighbourhood(user, estate_id)
    membership = membership_of(user, estate_id)
    announcement = notices.visible_announcement(user, neighbourhood, announcement_id)
    is_staff = membership is not None and membership.status == Membership.Status.STAFF
    context: dict[str, Any] = {
        "estate": neighbourhood,
        "announcement": announcement,
        "is_staff": is_staff,
    }
    if is_staff:
        unread_page = Paginator(notices.unread_audience(announcement), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context["unread_page"] = unread_page
        context["unread_rows"] = [
            (m, estates.phone_for_staff(m.user.phone)) for m in unread_page.object_list
        ]
        context["is_author"] = announcement.author_id == user.pk
    else:
        notices.announcement_mark_read(user=user, announcement=announcement)
    return render(request, "community/estates/announcement.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def announcement_edit(request: HttpRequest, estate_id: int, announcement_id: int) -> HttpResponse:
    user, neighbourhood = _staff_estate(request, estate_id)
    announcement = notices.visible_announcement(user, neighbourhood, announcement_id)
    if announcement.author_id != user.pk:
        raise PermissionDenied
    form = AnnouncementEditForm(
        request.POST or None, initial={"title": announcement.title, "body": announcement.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            notices.announcement_update(user=user, announcement=announcement, **form.cleaned_data)
        except ApplicationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("Announcement updated."))
            return redirect("estate-announcement", estate_id, announcement.pk)
    return render(
        request,
        "community/estates/edit.html",
        {"estate": neighbourhood, "announcement": announcement, "form": form},
    )


@login_required
@require_POST
def announcement_action(request: HttpRequest, estate_id: int, announcement_id: int) -> HttpResponse:
    user, neighbourhood = _staff_estate(request, estate_id)
    announcement = notices.visible_announcement(user, neighbourhood, announcement_id)
    action = request.POST.get("action")
    try:
        if action == "pin":
            notices.announcement_pin(user=user, announcement=announcement)
            messages.success(request, _("Pinned to the top."))
        elif action == "unpin":
            notices.announcement_unpin(user=user, announcement=announcement)
            messages.success(request, _("No longer pinned."))
        elif action == "withdraw":
            notices.announcement_withdraw(user=user, announcement=announcement)
            messages.success(request, _("Announcement withdrawn."))
            return redirect("estate-detail", estate_id)
    except NotEstateStaff as error:
        raise PermissionDenied from error
    return redirect("estate-announcement", estate_id, announcement_id)
