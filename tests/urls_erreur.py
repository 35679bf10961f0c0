"""URL de test : les URL de l'application plus une vue qui lève une exception (erreur 500)."""

from django.urls import path

from pvd.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401 (lus sur ce module)


def vue_en_panne(request):
    raise RuntimeError("panne simulée pour le test")


urlpatterns = [*urlpatterns, path("panne/", vue_en_panne)]
