from django.urls import path

from accounts.api import views

urlpatterns = [
    path("register", views.RegisterView.as_view(), name="api-register"),
    path("token", views.TokenView.as_view(), name="api-token"),
    path("logout", views.LogoutView.as_view(), name="api-logout"),
]
