from django.urls import path

from tableau import views

# Les tableaux de bord des trois niveaux (national, région, département) et ce qu'ils lisent.
app_name = "tableau"
urlpatterns = [
    path("regions/", views.TableauNationalView.as_view(), name="regions"),
    path("regions/<str:code>/", views.TableauRegionView.as_view(), name="region"),
    path("departements/<str:code>/", views.TableauDepartementView.as_view(), name="departement"),
    path("tableau/carte.json", views.CarteDonneesView.as_view(), name="carte_json"),
    path("tableau/definitions/", views.DefinitionsView.as_view(), name="definitions"),
]
