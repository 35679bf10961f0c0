from django.urls import path, re_path

from syntheses import views

app_name = "syntheses"
urlpatterns = [
    path("", views.CampagneListView.as_view(), name="campagnes"),
    path("campagnes/nouvelle/", views.CampagneCreateView.as_view(), name="campagne_nouvelle"),
    path("campagnes/<int:pk>/", views.CampagneDetailView.as_view(), name="campagne"),
    path("campagnes/<int:pk>/generer/", views.LotCreateView.as_view(), name="lot_nouveau"),
    path("lots/<int:pk>/", views.LotDetailView.as_view(), name="lot"),
    path("lots/<int:pk>/etat.json", views.LotEtatView.as_view(), name="lot_etat"),
    path("lots/<int:pk>/notes.zip", views.LotZipView.as_view(), name="lot_zip"),
    path("notes/<int:pk>/", views.SyntheseDetailView.as_view(), name="synthese"),
    path("notes/<int:pk>/lecture/", views.SyntheseLectureView.as_view(), name="lecture"),
    path("notes/<int:pk>/vue-ensemble/", views.SyntheseVueEnsembleView.as_view(), name="vue_ensemble"),
    re_path(
        r"^notes/(?P<pk>[0-9]+)/(?P<action>valider|rouvrir|transmettre)/$",
        views.SyntheseTransitionView.as_view(),
        name="synthese_transition",
    ),
    path("notes/<int:pk>/pdf/generer/", views.GenerationCreateView.as_view(), name="generer"),
    path("generations/<int:pk>/etat.json", views.GenerationEtatView.as_view(), name="generation_etat"),
    path(
        "generations/<int:pk>/relancer/", views.GenerationRelancerView.as_view(), name="generation_relancer"
    ),
    path("versions/<int:pk>/", views.VersionDownloadView.as_view(), name="version"),
    path("sections/<int:pk>/", views.SectionDetailView.as_view(), name="section"),
    path("sections/<int:pk>/rediger/", views.SectionEditView.as_view(), name="section_rediger"),
    path(
        "sections/<int:pk>/communes-en-difficulte/",
        views.SectionRisquesView.as_view(),
        name="section_risques",
    ),
    path("sections/<int:pk>/lecture/", views.SectionLectureView.as_view(), name="section_lecture"),
    re_path(
        r"^sections/(?P<pk>[0-9]+)/(?P<action>soumettre|renvoyer|dispenser|lever-dispense)/$",
        views.SectionTransitionView.as_view(),
        name="section_transition",
    ),
]
