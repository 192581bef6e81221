"""Forms of the login and signup pages: Django's own, with the labels our pages show,
and the login limits of every password check (``accounts.login_limits``)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts.services import user_authenticate
from core.errors import TooManyAttempts


class LimitedLoginMixin:
    """``AuthenticationForm.clean`` through ``user_authenticate``: a username or address
    that failed too often lately gets a clear message and its password is not checked."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = user_authenticate(request=self.request, username=username, password=password)
            except TooManyAttempts as exc:
                raise forms.ValidationError(exc.detail, code="too_many_attempts") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class LoginForm(LimitedLoginMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password.",
    }


class AdminLoginForm(LimitedLoginMixin, AdminAuthenticationForm):
    """The admin's login form (``admin.site.login_form``), limited like the shop's."""


class SignupForm(UserCreationForm):
    """Username and password twice; the password validators of the settings apply."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
