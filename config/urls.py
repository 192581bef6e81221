from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api.views import api_not_found
from ops import metrics_views
from ops import views as ops_views

api_v1 = [
    path("auth/", include("accounts.api.urls")),
    path("", include("cart.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("orders.api_urls")),
]

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", metrics_views.metrics, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script. Its
    # bundle sets inline styles, so this one page allows them (scripts stay 'self' only).
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    *([path("api/bench/", include("cart.api.bench_urls"))] if settings.BENCHMARK_ENDPOINTS else []),
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    path("", include("cart.web.product_urls")),
    path("", include("cart.web.urls")),
    path("", include("orders.urls")),
    path("", include("accounts.urls")),
]

# Errors Django answers itself: JSON under /api/, styled pages elsewhere.
handler400 = "core.api.views.bad_request"
handler403 = "core.api.views.permission_denied"
handler500 = "core.api.views.server_error"
