from django.urls import path

from tableau import views
from territoires.views import RechercheView

# Les pages des territoires sont les tableaux de bord des trois niveaux (app tableau).
app_name = "territoires"
urlpatterns = [
    path("recherche/", RechercheView.as_view(), name="recherche"),
    path("regions/", views.TableauNationalView.as_view(), name="regions"),
    path("regions/<str:code>/", views.TableauRegionView.as_view(), name="region"),
    path("departements/<str:code>/", views.TableauDepartementView.as_view(), name="departement"),
]
