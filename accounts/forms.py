"""Forms of the login and signup pages: Django's own, with the labels our pages show."""

from django.contrib.auth.forms import AuthenticationForm, UserCreationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password.",
    }


class SignupForm(UserCreationForm):
    """Username and password twice; the password validators of the settings apply."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
