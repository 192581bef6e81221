from drf_spectacular.extensions import OpenApiAuthenticationExtension


class CachedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.CachedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Per-device token: "Authorization: Token <token>".',
        }
