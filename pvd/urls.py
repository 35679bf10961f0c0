from django.contrib import admin
from django.urls import include, path

from comptes import views as comptes_views
from pvd import views

admin.site.site_header = "PVD Suivi — administration"
admin.site.site_title = "PVD Suivi"

urlpatterns = [
    path("", views.accueil, name="accueil"),
    path("connexion/", comptes_views.ConnexionView.as_view(), name="login"),
    path("deconnexion/", comptes_views.DeconnexionView.as_view(), name="logout"),
    path("connexion/proconnect/", comptes_views.ProConnectConnexionView.as_view(), name="proconnect"),
    path(
        "connexion/proconnect/retour/", comptes_views.ProConnectRetourView.as_view(), name="proconnect-retour"
    ),
    path("compte/", comptes_views.CompteView.as_view(), name="compte"),
    path("rappels/", include("rappels.urls")),
    path("communes/", include("communes.urls")),
    path("clubs/", include("clubs.urls")),
    path("syntheses/", include("syntheses.urls")),
    path("api/", include("api.urls")),
    path("", include("territoires.urls")),
    path("tableau/", include("tableau.urls")),
    path("admin/", admin.site.urls),
    path("sante/", views.SanteView.as_view(), name="sante"),
]
handler500 = "pvd.views.erreur_serveur"
