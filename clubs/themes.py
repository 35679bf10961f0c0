"""Thèmes d'une réunion : étiquettes libres, normalisées (espaces, doublons, casse des suggestions)."""

import re

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from clubs.constants import THEME_LONGUEUR_MAX, THEMES_MAX, THEMES_SUGGERES

_SUGGESTIONS = {t.casefold(): t for t in THEMES_SUGGERES}


class EncodeurThemes(DjangoJSONEncoder):
    """JSON en UTF-8 lisible (« écologique » et non « \\u00e9cologique ») : la recherche par thème marche
    sur SQLite comme sur PostgreSQL."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


def themes_decouper(texte):
    """« Friches ; santé, ORT » → ["Friches", "santé", "ORT"]."""
    return [t for t in (morceau.strip() for morceau in re.split(r"[,;\n]", texte or "")) if t]


def themes_normaliser(themes):
    """Liste propre : espaces réduits, suggestions écrites comme dans la liste, sans doublon (casse ignorée).

    Lève ValidationError si un thème est trop long ou s'il y en a trop.
    """
    propres, vus = [], set()
    for theme in themes:
        if not isinstance(theme, str):
            raise ValidationError("Chaque thème est un texte.")
        theme = re.sub(r"\s+", " ", theme).strip()
        if not theme:
            continue
        if len(theme) > THEME_LONGUEUR_MAX:
            raise ValidationError(
                "Le thème « %(debut)s… » dépasse %(max)s caractères.",
                params={"debut": theme[:20], "max": THEME_LONGUEUR_MAX},
            )
        cle = theme.casefold()
        if cle in vus:
            continue
        vus.add(cle)
        propres.append(_SUGGESTIONS.get(cle, theme))
    if len(propres) > THEMES_MAX:
        raise ValidationError("Indiquez au plus %(max)s thèmes.", params={"max": THEMES_MAX})
    return propres
