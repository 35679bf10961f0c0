from django.contrib import admin
from django.urls import include, path

from comptes import views as comptes_views
from pvd import pages, views

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
    path("mot-de-passe/oublie/", comptes_views.MotDePasseOublieView.as_view(), name="password_reset"),
    path("mot-de-passe/envoye/", comptes_views.MotDePasseEnvoyeView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        comptes_views.NouveauMotDePasseView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/modifie/", comptes_views.MotDePasseChangeView.as_view(), name="password_reset_complete"
    ),
    path("connexion/code/", comptes_views.VerificationView.as_view(), name="verification"),
    path("compte/", comptes_views.CompteView.as_view(), name="compte"),
    path("compte/double-facteur/", comptes_views.DoubleFacteurView.as_view(), name="double_facteur"),
    path("rappels/", include("rappels.urls")),
    path("", include("echanges.urls")),
    path("communes/", include("communes.urls")),
    path("clubs/", include("clubs.urls")),
    path("syntheses/", include("syntheses.urls")),
    path("api/", include("api.urls")),
    path("", include("territoires.urls")),
    path("", include("tableau.urls")),
    path("admin/", admin.site.urls),
    path("sante/", views.SanteView.as_view(), name="sante"),
    path("accessibilite/", pages.AccessibiliteView.as_view(), name="accessibilite"),
    path("mentions-legales/", pages.MentionsLegalesView.as_view(), name="mentions_legales"),
    path("donnees-personnelles/", pages.DonneesPersonnellesView.as_view(), name="donnees_personnelles"),
    path("gestion-des-cookies/", pages.CookiesView.as_view(), name="cookies"),
    path("plan-du-site/", pages.PlanDuSiteView.as_view(), name="plan_du_site"),
    path("aide/", pages.AideView.as_view(), name="aide"),
]
handler400 = "pvd.erreurs.mauvaise_requete"
handler403 = "pvd.erreurs.acces_refuse"
handler404 = "pvd.erreurs.introuvable"
handler500 = "pvd.erreurs.erreur_serveur"
