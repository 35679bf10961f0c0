from django.urls import path

from rappels import views

app_name = "rappels"
urlpatterns = [
    path("desinscription/<str:jeton>/", views.DesinscriptionView.as_view(), name="desinscription"),
]
