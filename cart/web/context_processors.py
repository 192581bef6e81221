"""Template context for every page."""

from cart.web.shopper import header_count


def header_cart(request):
    """``cart_count`` for the header, evaluated only when a template shows it.

    On the cart page it comes from the cart the view already read; elsewhere it is one
    Redis read for an account and no I/O for a guest.
    """
    if request is None:
        return {}
    return {"cart_count": lambda: header_count(request)}
