from django.urls import path

from communes import views

app_name = "communes"
urlpatterns = [
    path("", views.CommuneListView.as_view(), name="liste"),
    path("<str:code_insee>/", views.CommuneDetailView.as_view(), name="detail"),
]
