from django.urls import path, re_path

from communes import views

app_name = "communes"
urlpatterns = [
    path("", views.CommuneListView.as_view(), name="liste"),
    path("import/", views.ImportView.as_view(), name="import"),
    re_path(
        r"^import/modele\.(?P<format_modele>csv|xlsx)$",
        views.ImportModeleView.as_view(),
        name="import_modele",
    ),
    path("import/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("import/<int:pk>/etat.json", views.ImportEtatView.as_view(), name="import_etat"),
    path("import/<int:pk>/rapport.csv", views.ImportRapportView.as_view(), name="import_rapport"),
    path("import/<int:pk>/importer/", views.ImportConfirmerView.as_view(), name="import_confirmer"),
    path("<str:code_insee>/", views.CommuneDetailView.as_view(), name="detail"),
    path("<str:code_insee>/territoire/", views.TerritoireView.as_view(), name="territoire"),
    path("<str:code_insee>/adhesion/", views.AdhesionView.as_view(), name="adhesion"),
    path("<str:code_insee>/convention-cadre/", views.ConventionCadreView.as_view(), name="convention_cadre"),
    path(
        "<str:code_insee>/conventions/<str:type_convention>/avenants/nouveau/",
        views.AvenantView.as_view(),
        name="avenant_nouveau",
    ),
    path(
        "<str:code_insee>/conventions/<str:type_convention>/avenants/<int:pk>/",
        views.AvenantView.as_view(),
        name="avenant",
    ),
    path("<str:code_insee>/ort/", views.OrtView.as_view(), name="ort"),
    path("<str:code_insee>/confirmer/<str:quoi>/", views.ConfirmationView.as_view(), name="confirmer"),
    path("<str:code_insee>/chef-de-projet/", views.ChefDeProjetView.as_view(), name="chef_de_projet"),
    path("<str:code_insee>/crte/", views.CrteView.as_view(), name="crte"),
    path("<str:code_insee>/risque/", views.RisqueView.as_view(), name="risque"),
    path("<str:code_insee>/actions/nouvelle/", views.ActionView.as_view(), name="action_nouvelle"),
    path("<str:code_insee>/actions/<int:pk>/", views.ActionView.as_view(), name="action"),
    path(
        "<str:code_insee>/actions/<int:action_pk>/financements/nouveau/",
        views.FinancementView.as_view(),
        name="financement_nouveau",
    ),
    path(
        "<str:code_insee>/actions/<int:action_pk>/financements/<int:pk>/",
        views.FinancementView.as_view(),
        name="financement",
    ),
    path(
        "<str:code_insee>/supprimer/<str:quoi>/<int:pk>/", views.SuppressionView.as_view(), name="supprimer"
    ),
]
