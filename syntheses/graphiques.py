"""Graphiques SVG produits côté serveur (aucun navigateur, aucune bibliothèque de tracé)."""

from django.utils.html import escape

from communes.constants import Phase

# Couleurs DSFR : du gris (lauréate) au bleu France (phase opérationnelle) ; rouge Marianne : retrait.
COULEURS_PHASE = {
    Phase.LAUREATE: ("#DDDDDD", "#161616"),
    Phase.ADHESION_SIGNEE: ("#CACAFB", "#161616"),
    Phase.CADRE_EN_ELABORATION: ("#8585F6", "#161616"),
    Phase.CADRE_SIGNEE: ("#4747C9", "#FFFFFF"),
    Phase.OPERATIONNELLE: ("#000091", "#FFFFFF"),
    Phase.RETIREE: ("#E1000F", "#FFFFFF"),
}

LARGEUR = 680
MARGE_GAUCHE = 190
HAUTEUR_BARRE = 18
ECART = 7
POLICE = "Marianne, sans-serif"


def _legende(y):
    elements, x = [], MARGE_GAUCHE
    for phase in Phase:
        fond, _ = COULEURS_PHASE[phase]
        libelle = phase.label
        largeur = 16 + 5.2 * len(libelle) + 14
        if x + largeur > LARGEUR:
            x, y = MARGE_GAUCHE, y + 16
        elements.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{fond}" stroke="#666666" stroke-width="0.4"/>'
            f'<text x="{x + 14}" y="{y + 9}" font-size="9" fill="#3A3A3A">{escape(libelle)}</text>'
        )
        x += largeur
    return "".join(elements), y + 16


def barres_phases(lignes, *, legende=True):
    """Barres horizontales empilées : communes par phase, une barre par ligne (libellé, {phase: n}).

    Toutes les barres partagent la même échelle (la ligne la plus fournie occupe toute la largeur)."""
    total_max = max((sum(phases.values()) for _, phases in lignes), default=0) or 1
    largeur_utile = LARGEUR - MARGE_GAUCHE - 40
    elements = []
    y = 4
    for libelle, phases in lignes:
        total = sum(phases.values())
        elements.append(
            f'<text x="{MARGE_GAUCHE - 8}" y="{y + HAUTEUR_BARRE - 5}" font-size="10" text-anchor="end" '
            f'fill="#161616">{escape(libelle)}</text>'
        )
        x = float(MARGE_GAUCHE)
        for phase in Phase:
            n = phases.get(phase.value, 0)
            if not n:
                continue
            fond, texte = COULEURS_PHASE[phase]
            largeur = largeur_utile * n / total_max
            elements.append(
                f'<rect x="{x:.1f}" y="{y}" width="{largeur:.1f}" height="{HAUTEUR_BARRE}" fill="{fond}"/>'
            )
            if largeur >= 14:
                elements.append(
                    f'<text x="{x + largeur / 2:.1f}" y="{y + HAUTEUR_BARRE - 5}" font-size="9" '
                    f'text-anchor="middle" fill="{texte}">{n}</text>'
                )
            x += largeur
        elements.append(
            f'<text x="{x + 5:.1f}" y="{y + HAUTEUR_BARRE - 5}" font-size="10" font-weight="bold" '
            f'fill="#000091">{total}</text>'
        )
        y += HAUTEUR_BARRE + ECART
    if legende:
        bloc, y = _legende(y + 4)
        elements.append(bloc)
    hauteur = y + 4
    titre = "Communes par phase"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphique" role="img" aria-label="{titre}" '
        f'viewBox="0 0 {LARGEUR} {hauteur}" width="{LARGEUR}" height="{hauteur}" '
        f'font-family="{POLICE}">' + "".join(elements) + "</svg>"
    )
