import re

from django.contrib.auth import logout
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import IssuedToken, token_issue, token_revoke, user_register
from core.api.fields import StrictCharField, StrictSerializer
from core.api.schema import errors
from ops.ratelimit import CoreWriteThrottle


# Described in words: JSON Schema's regular expressions read `\w` as ASCII only, while
# usernames (like Django's own) take letters and digits of any script.
@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 150,
        "description": "Letters and digits of any script, and `@`, `.`, `+`, `-`, `_`.",
    }
)
class UsernameField(StrictCharField):
    # Checked here, not as a field validator: the schema generator turns a validator's
    # regular expression into a JSON Schema `pattern`, whose `\w` is ASCII only, and the
    # document would then refuse "José" while the server takes it.
    _ALLOWED = re.compile(r"[\w.@+-]+")

    def __init__(self, **kwargs):
        super().__init__(max_length=150, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not self._ALLOWED.fullmatch(value):
            raise serializers.ValidationError("Use letters, digits and @ . + - _ only.")
        return value


class CredentialsIn(StrictSerializer):
    username = UsernameField()
    password = StrictCharField(min_length=1, max_length=128, trim_whitespace=False)


TokenOut = inline_serializer(
    "TokenOut",
    {
        "user_id": serializers.IntegerField(),
        "token": serializers.CharField(),
        "expires_at": serializers.DateTimeField(allow_null=True),
    },
)


def _render(issued: IssuedToken) -> dict:
    return {
        "user_id": issued.user_id,
        "token": issued.token,
        "expires_at": issued.expires_at.isoformat().replace("+00:00", "Z") if issued.expires_at else None,
    }


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [CoreWriteThrottle]  # per client address: slows password guessing

    @extend_schema(
        request=CredentialsIn,
        responses={
            201: TokenOut,
            **errors(_400="`invalid`: missing or malformed fields, the name is taken or the password is weak."),
        },
        summary="Create an account and a token",
    )
    def post(self, request):
        data = CredentialsIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_render(user_register(**data.validated_data)), status=status.HTTP_201_CREATED)


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(
        request=CredentialsIn,
        responses={
            200: TokenOut,
            **errors(
                _400="`invalid`: missing or malformed fields, or a wrong username or password.",
                _429=(
                    "`too_many_attempts`: too many failed logins for this username or from this address; "
                    "`system_busy`: rate limited. Try again after `Retry-After` seconds."
                ),
            ),
        },
        summary="Log in and get a token for this device",
    )
    def post(self, request):
        data = CredentialsIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_render(token_issue(request=request, **data.validated_data)))


class LogoutView(APIView):
    @extend_schema(
        request=None,
        responses={204: None},
        summary="Revoke the token this request carries (or end the browser session)",
    )
    def post(self, request):
        if request.auth is not None:
            token_revoke(token=request.auth)
        else:
            logout(request)  # a browser session
        return Response(status=status.HTTP_204_NO_CONTENT)
