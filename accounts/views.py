"""Login, logout and signup pages. Logging in or signing up merges the guest cart.

The merge is hooked here, in the two views where a guest becomes a user, rather than in
the ``user_logged_in`` signal: the API's token login must not touch a browser cookie,
and the shopper should see what the merge did.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, LogoutView
from django.shortcuts import resolve_url
from django.views.generic import FormView

from accounts.forms import LoginForm, SignupForm
from cart.services import MergeResult
from cart.web.shopper import guest_cart_merge
from core.errors import ApiError


def _merge_guest_cart(request, response) -> None:
    """Merge the guest cookie into the account and tell the shopper what happened."""
    try:
        result = guest_cart_merge(request, response)
    except ApiError as exc:
        messages.warning(request, f"Your guest cart could not be merged yet: {exc.detail}")
        return
    if result is not None:
        messages.info(request, merge_summary(result))


def merge_summary(result: MergeResult) -> str:
    """What the login did with the guest cart, from the merge report: "We added 2 items
    from your guest cart. 1 item already in your cart now has the guest cart's larger
    quantity. 1 did not fit: …"."""
    counts = {"added": 0, "raised": 0, "kept": 0}
    for outcome in result.merged:
        counts[outcome.action] += 1
    sentences = []
    if counts["added"]:
        sentences.append(f"We added {_items(counts['added'])} from your guest cart.")
    if counts["raised"]:
        verb = "has" if counts["raised"] == 1 else "have"
        raised = _items(counts["raised"])
        sentences.append(f"{raised} already in your cart now {verb} the guest cart's larger quantity.")
    if counts["kept"]:
        verb = "keeps its" if counts["kept"] == 1 else "keep their"
        sentences.append(f"{_items(counts['kept'])} already in your cart {verb} quantity, the larger one.")
    if result.skipped:
        skipped, most = _items(len(result.skipped)), settings.CART_MAX_LINES
        sentences.append(f"{skipped} did not fit: a cart holds at most {most} different items.")
    return " ".join(sentences) or "We merged your guest cart into your account."


def _items(count: int) -> str:
    return f"{count} item{'' if count == 1 else 's'}"


class ShopperLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        _merge_guest_cart(self.request, response)
        return response


class ShopperLogoutView(LogoutView):
    """POST only (Django's default): a link or a prefetch cannot log anyone out."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # After the logout, so the message lands in the guest's fresh session.
        messages.info(request, "You have logged out. Your cart is kept in your account for your next visit.")
        return response


class SignupView(FormView):
    template_name = "accounts/signup.html"
    form_class = SignupForm

    def form_valid(self, form):
        user = form.save()
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        response = super().form_valid(form)
        _merge_guest_cart(self.request, response)
        return response

    def get_success_url(self):
        return resolve_url("cart:detail")
