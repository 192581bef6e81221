"""One-time messages are the pages' own: API requests get no message storage."""

from django.contrib.messages import get_messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from core.middleware import PageMessageMiddleware


def _through_middleware(path: str):
    seen = {}

    def view(request):
        seen["storage"] = getattr(request, "_messages", None)
        seen["listed"] = list(get_messages(request))
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    SessionMiddleware(lambda r: None).process_request(request)
    response = PageMessageMiddleware(view)(request)
    return seen, response


def test_an_api_request_makes_no_message_storage_and_lists_none():
    seen, response = _through_middleware("/api/v1/cart")
    assert seen == {"storage": None, "listed": []}
    assert response.cookies == {}


def test_a_page_request_still_gets_django_s_storage():
    seen, _ = _through_middleware("/cart/")
    assert type(seen["storage"]).__name__ == "FallbackStorage"
    assert seen["listed"] == []
