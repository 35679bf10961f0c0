from django.views.generic import DetailView
from django_tables2 import SingleTableMixin, SingleTableView

from communes.tables import CommuneTable
from pvd.breadcrumbs import breadcrumb_for
from territoires.models import Commune, Departement, Region
from territoires.tables import DepartementTable, RegionTable


class RegionListView(SingleTableView):
    table_class = RegionTable
    template_name = "territoires/region_list.html"
    table_pagination = False

    def get_queryset(self):
        return Region.objects.for_user(self.request.user).with_counts()

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Régions", **kwargs)


class RegionDetailView(SingleTableMixin, DetailView):
    table_class = DepartementTable
    template_name = "territoires/region_detail.html"
    slug_field = slug_url_kwarg = "code"
    context_object_name = "region"
    table_pagination = False

    def get_queryset(self):
        return Region.objects.for_user(self.request.user).with_counts()

    def get_table_data(self):
        return Departement.objects.for_user(self.request.user).filter(region=self.object).with_counts()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.object.nom, breadcrumb=breadcrumb_for(self.request.user), **kwargs
        )


class DepartementDetailView(SingleTableMixin, DetailView):
    table_class = CommuneTable
    template_name = "territoires/departement_detail.html"
    slug_field = slug_url_kwarg = "code"
    context_object_name = "departement"

    def get_queryset(self):
        return Departement.objects.for_user(self.request.user).select_related("region").with_counts()

    def get_table_data(self):
        return (
            Commune.objects.for_user(self.request.user)
            .pvd()
            .with_territoire()
            .with_suivi()
            .filter(departement=self.object)
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"{self.object.nom} ({self.object.code})",
            breadcrumb=breadcrumb_for(self.request.user, self.object.region),
            **kwargs,
        )
