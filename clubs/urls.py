from django.urls import path

from clubs import views

app_name = "clubs"
urlpatterns = [
    path("", views.ReunionListView.as_view(), name="reunions"),
    path("reunions/nouvelle/", views.ReunionCreateView.as_view(), name="reunion_creer"),
    path("reunions/<int:pk>/", views.ReunionDetailView.as_view(), name="reunion"),
    path("reunions/<int:pk>/modifier/", views.ReunionUpdateView.as_view(), name="reunion_modifier"),
    path("reunions/<int:pk>/supprimer/", views.ReunionDeleteView.as_view(), name="reunion_supprimer"),
    path("reunions/<int:pk>/piece-jointe/", views.PieceJointeView.as_view(), name="piece_jointe"),
    path("rythme/", views.RythmeView.as_view(), name="rythme"),
    path("rythme/export.csv", views.RythmeCsvView.as_view(), name="rythme_csv"),
    path("calendrier/", views.CalendrierView.as_view(), name="calendrier"),
    path("departements/<str:code>/calendrier.ics", views.IcsView.as_view(), name="ics"),
]
