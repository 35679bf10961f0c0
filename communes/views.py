from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from communes.filters import CommuneFilter
from communes.tables import CommuneTable
from pvd.breadcrumbs import breadcrumb_for
from territoires.models import Commune


class CommuneListView(SingleTableMixin, FilterView):
    table_class = CommuneTable
    filterset_class = CommuneFilter
    template_name = "communes/commune_list.html"

    def get_queryset(self):
        return Commune.objects.for_user(self.request.user).pvd().with_territoire()

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Communes PVD", **kwargs)


class CommuneDetailView(DetailView):
    template_name = "communes/commune_detail.html"
    slug_field = slug_url_kwarg = "code_insee"
    context_object_name = "commune"

    def get_queryset(self):
        return Commune.objects.for_user(self.request.user).pvd().with_territoire()

    def get_context_data(self, **kwargs):
        commune = self.object
        return super().get_context_data(
            title=commune.nom,
            breadcrumb=breadcrumb_for(self.request.user, commune.departement),
            **kwargs,
        )
