from django.urls import path

from territoires.views import RechercheView

app_name = "territoires"
urlpatterns = [
    path("recherche/", RechercheView.as_view(), name="recherche"),
]
