from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import User


class SignupExtraForm(forms.Form):
    """Fields allauth's signup form adds to its own (``ACCOUNT_SIGNUP_FORM_CLASS``)."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=50,
        required=False,
        help_text=_("What neighbours see, such as 'Wang, building 3'."),
    )

    def signup(self, request: object, user: User) -> None:
        user.display_name = self.cleaned_data.get("display_name", "")
        user.save(update_fields=["display_name"])


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["display_name", "preferred_language"]
