from django.urls import path

from echanges import views

app_name = "echanges"
urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/", views.NotificationOuvrirView.as_view(), name="notification"),
    path("notifications/<int:pk>/lue/", views.NotificationLueView.as_view(), name="notification_lue"),
    path(
        "notifications/tout-lire/", views.NotificationsToutLireView.as_view(), name="notifications_tout_lire"
    ),
    path("notifications/preferences/", views.PreferencesNotificationView.as_view(), name="preferences"),
    path("commentaires/section/<int:pk>/", views.FilView.as_view(), name="fil_section"),
    path("commentaires/commune/<str:code_insee>/", views.FilView.as_view(), name="fil_commune"),
    path(
        "commentaires/<int:pk>/modifier/",
        views.CommentaireModifierView.as_view(),
        name="commentaire_modifier",
    ),
    path("pieces-jointes/commune/<str:code_insee>/", views.PiecesJointesView.as_view(), name="pieces"),
    path("pieces-jointes/<int:pk>/nouvelle-version/", views.PieceVersionView.as_view(), name="piece_version"),
    path("pieces-jointes/versions/<int:pk>/", views.VersionTelechargerView.as_view(), name="version_piece"),
    path("quoi-de-neuf/", views.QuoiDeNeufView.as_view(), name="quoi_de_neuf"),
    path("a-faire/", views.AFaireView.as_view(), name="a_faire"),
]
