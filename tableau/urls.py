from django.urls import path

from tableau import views

app_name = "tableau"
urlpatterns = [
    path("carte.json", views.CarteDonneesView.as_view(), name="carte_json"),
    path("definitions/", views.DefinitionsView.as_view(), name="definitions"),
]
