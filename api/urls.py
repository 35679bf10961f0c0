from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import views

app_name = "api"


def _ouverte(vue, **kwargs):
    """L'API s'authentifie elle-même (jeton ou session, voir api.authentication) : le
    LoginRequiredMiddleware global ne la redirige pas vers la page de connexion."""
    return login_not_required(vue.as_view(**kwargs))


urlpatterns = [
    path("v1/communes/", _ouverte(views.CommuneListView), name="communes"),
    path("v1/communes/<str:code_insee>/", _ouverte(views.CommuneDetailView), name="commune"),
    path("v1/communes.csv", _ouverte(views.OpenDataCsvView), name="communes_csv"),
    path("v1/departements/", _ouverte(views.DepartementListView), name="departements"),
    path("v1/departements/<str:code>/", _ouverte(views.DepartementDetailView), name="departement"),
    path("v1/regions/", _ouverte(views.RegionListView), name="regions"),
    path("v1/regions/<str:code>/", _ouverte(views.RegionDetailView), name="region"),
    path("v1/schema/", _ouverte(SpectacularAPIView), name="schema"),
    path("v1/documentation/", _ouverte(views.DocumentationView), name="documentation"),
    re_path(r"^.*$", login_not_required(views.introuvable)),
]
