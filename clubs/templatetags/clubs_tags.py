from django import template
from django.utils import timezone

from clubs.constants import StatutRythme
from clubs.ics import lien_abonnement
from clubs.models import ReunionClub, peut_gerer_reunions
from clubs.services import communes_jamais_representees, rythme_clubs, rythme_motifs
from clubs.tables import BADGES_RYTHME
from territoires.models import Departement

register = template.Library()


@register.inclusion_tag("clubs/_bloc_departement.html", takes_context=True)
def bloc_club_departement(context, departement):
    """Bloc « club PVD » de la page d'un département (déjà restreint au territoire par la vue) : quatre
    requêtes, quel que soit le nombre de réunions ou de communes."""
    request = context["request"]
    user = request.user
    aujourd_hui = timezone.localdate()
    annee = aujourd_hui.year
    rythme = rythme_clubs(Departement.objects.filter(pk=departement.pk), annee, aujourd_hui=aujourd_hui).get()
    reunions = ReunionClub.objects.for_user(user).filter(departement=departement)
    return {
        "request": request,
        "departement": departement,
        "annee": annee,
        "rythme": rythme,
        "statut": StatutRythme(rythme.statut),
        "badge_statut": BADGES_RYTHME[StatutRythme(rythme.statut)],
        "motifs": rythme_motifs(rythme, annee, aujourd_hui=aujourd_hui),
        "prochaines": list(reunions.prevues(aujourd_hui=aujourd_hui).order_by("date", "pk")[:3]),
        "dernieres": list(reunions.tenues(aujourd_hui=aujourd_hui).order_by("-date", "-pk")[:3]),
        "communes_jamais": list(communes_jamais_representees(departement, annee, aujourd_hui=aujourd_hui)),
        "peut_creer": peut_gerer_reunions(user, departement.code),
        "lien_abonnement": lien_abonnement(request, departement),
    }
