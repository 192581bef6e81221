from django.urls import path

from cart.api import bench_views

urlpatterns = [
    path("bare", bench_views.BareView.as_view()),
    path("one-script", bench_views.OneScriptView.as_view()),
    path("hgetall", bench_views.HgetallView.as_view()),
    path("sync-mysql-add", bench_views.SyncMysqlAddView.as_view()),
]
