from django.urls import path

from territoires import views

app_name = "territoires"
urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="regions"),
    path("regions/<str:code>/", views.RegionDetailView.as_view(), name="region"),
    path("departements/<str:code>/", views.DepartementDetailView.as_view(), name="departement"),
]
