from django.conf import settings
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


def _entier(request, nom, *, minimum, maximum=None):
    valeur = request.query_params.get(nom)
    if valeur is None:
        return None
    message = f"Entier attendu, au moins {minimum}" + (f" et au plus {maximum}." if maximum else ".")
    try:
        nombre = int(valeur)
    except ValueError:
        raise ValidationError({nom: [message]})
    if nombre < minimum or (maximum is not None and nombre > maximum):
        raise ValidationError({nom: [message]})
    return nombre


class Pagination(PageNumberPagination):
    """Pages numérotées (« page ») de taille bornée (« taille », au plus API_TAILLE_MAX lignes) ; une
    valeur invalide est refusée (400) au lieu d'être corrigée en silence."""

    page_query_param = "page"
    page_size_query_param = "taille"

    @property
    def page_size(self):
        return settings.API_TAILLE_PAGE

    @property
    def max_page_size(self):
        return settings.API_TAILLE_MAX

    def get_page_size(self, request):
        taille = _entier(request, self.page_size_query_param, minimum=1, maximum=self.max_page_size)
        return taille or self.page_size

    def get_page_number(self, request, paginator):
        return _entier(request, self.page_query_param, minimum=1) or 1

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        taille = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, taille)
        numero = self.get_page_number(request, paginator)
        if numero > paginator.num_pages:
            raise NotFound(f"Page {numero} hors limites : il y a {paginator.num_pages} page(s).")
        self.page = paginator.page(numero)
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Numéro de page (à partir de 1).",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Lignes par page (par défaut {self.page_size}, au plus {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response_schema(self, schema):
        reponse = super().get_paginated_response_schema(schema)
        reponse["properties"]["count"]["description"] = "Nombre total de lignes (toutes pages)."
        reponse["properties"]["next"]["description"] = "URL de la page suivante (null sur la dernière)."
        reponse["properties"]["previous"]["description"] = "URL de la page précédente (null sur la première)."
        return reponse
