from django.urls import path

from tableau import views

# Les pages des territoires sont les tableaux de bord des trois niveaux (app tableau).
app_name = "territoires"
urlpatterns = [
    path("regions/", views.TableauNationalView.as_view(), name="regions"),
    path("regions/<str:code>/", views.TableauRegionView.as_view(), name="region"),
    path("departements/<str:code>/", views.TableauDepartementView.as_view(), name="departement"),
]
