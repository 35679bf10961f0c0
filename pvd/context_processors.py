from types import SimpleNamespace

from django.utils.functional import SimpleLazyObject

from communes.models import DonneesDemonstration

# Ce que les gabarits de django-dsfr lisent dans SITE_CONFIG, sans requête en base à chaque page.
SITE = SimpleNamespace(
    site_title="PVD Suivi",
    site_tagline="Suivi du programme Petites villes de demain",
    header_brand_html="Ministère<br>de l’Aménagement<br>du territoire",
    footer_brand_html="Ministère<br>de l’Aménagement<br>du territoire",
    footer_description="PVD Suivi permet aux préfectures et au ministère de suivre l’avancement "
    "du programme Petites villes de demain.",
    beta_tag=False,
    mourning=False,
    notice_title="",
    notice_description="",
)


def site(request):
    return {"SITE_CONFIG": SITE}


def _perimetres_demo():

    return DonneesDemonstration.objects.perimetres()


def donnees_demonstration(request):
    """DONNEES_DEMO : périmètres du suivi généré (bandeau de components/bandeau_demo.html), lus au plus une
    fois par gabarit, et seulement si le gabarit s'en sert ; vide sur une instance aux données officielles."""
    return {"DONNEES_DEMO": SimpleLazyObject(_perimetres_demo)}
