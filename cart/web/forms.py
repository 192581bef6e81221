"""Input of the cart pages' forms. The same ranges as the API (API.md, "Cart")."""

from django import forms
from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme

from core.ids import MAX_ID

MAX_QUANTITY = settings.CART_MAX_QUANTITY


def _id_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _quantity_field(*, min_value: int) -> forms.IntegerField:
    message = f"Enter a quantity from {min_value} to {MAX_QUANTITY}."
    return forms.IntegerField(
        min_value=min_value,
        max_value=MAX_QUANTITY,
        required=False,
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


class NextMixin:
    """An optional ``next`` field: where to go back to, only if it is on this site."""

    def safe_next(self, request) -> str | None:
        target = self.data.get("next") or ""
        if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
            return target
        return None


class AddLineForm(NextMixin, forms.Form):
    item_id = _id_field()
    sku_id = _id_field(error_messages={"required": "Choose a size or variant first."})
    quantity = _quantity_field(min_value=1)

    def clean_quantity(self) -> int:
        return self.cleaned_data["quantity"] or 1


class UpdateLineForm(forms.Form):
    """A typed quantity, a +/- step, and/or the line's checkbox.

    An unchecked checkbox sends nothing, so the form also sends ``has_checked`` to tell
    "unchecked" from "not part of this change".
    """

    quantity = _quantity_field(min_value=0)
    delta = forms.IntegerField(min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY, required=False)
    checked = forms.BooleanField(required=False)
    has_checked = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("delta") == 0:
            self.add_error("delta", "The step cannot be 0.")
        if self.errors:
            return data
        change = {}
        if data.get("delta") is not None:
            change["delta"] = data["delta"]  # a +/- press wins over a typed value
        elif data.get("quantity") is not None:
            change["quantity"] = data["quantity"]
        if data.get("has_checked"):
            change["checked"] = data["checked"]
        if not change:
            raise forms.ValidationError("Nothing to change.")
        data["change"] = change
        return data


class SelectForm(forms.Form):
    checked = forms.TypedChoiceField(choices=[("1", "select"), ("0", "deselect")], coerce=lambda v: v == "1")


def first_error(form: forms.Form) -> str:
    """The first message of an invalid form, for a flash message."""
    for errors in form.errors.values():
        return errors[0]
    return "Please check your input."
