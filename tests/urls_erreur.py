"""URL de test : les URL de l'application plus une vue qui lève une exception (erreur 500)."""

from django.urls import path

from pvd.urls import handler500, urlpatterns  # noqa: F401 (handler500 est lu sur ce module)


def vue_en_panne(request):
    raise RuntimeError("panne simulée pour le test")


urlpatterns = [*urlpatterns, path("panne/", vue_en_panne)]
