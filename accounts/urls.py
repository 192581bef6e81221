from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.ShopperLoginView.as_view(), name="login"),
    path("accounts/logout/", views.ShopperLogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
]
