"""Graphiques SVG calculés par le serveur (aucune bibliothèque JavaScript) : coordonnées ici, balisage dans
templates/tableau/_courbe.html et _barres.html. Chaque graphique est accompagné de son tableau de données."""

from dataclasses import dataclass

from communes.constants import Phase
from tableau.donnees import part_texte

# Couleurs DSFR des phases (fond, texte) : du gris (lauréate) au bleu France (phase opérationnelle) ; rouge
# Marianne : retrait. Écrites en attributs de présentation : le PDF (WeasyPrint) les lit sans la feuille DSFR.
COULEURS_PHASE = {
    Phase.LAUREATE: ("#DDDDDD", "#161616"),
    Phase.ADHESION_SIGNEE: ("#CACAFB", "#161616"),
    Phase.CADRE_EN_ELABORATION: ("#8585F6", "#161616"),
    Phase.CADRE_SIGNEE: ("#4747C9", "#FFFFFF"),
    Phase.OPERATIONNELLE: ("#000091", "#FFFFFF"),
    Phase.RETIREE: ("#E1000F", "#FFFFFF"),
}


@dataclass
class Courbe:
    titre: str
    description: str
    largeur: int
    hauteur: int
    ligne: str  # points de la polyligne
    aire: str  # chemin de la surface sous la courbe
    graduations_x: list  # [(x, libellé)]
    graduations_y: list  # [(y, libellé)]
    dernier: tuple  # (x, y, libellé)
    bas: float
    gauche: float
    droite: float


def courbe_mensuelle(serie, *, titre):
    """serie : [(date du mois, nombre, part 0..1)] ; l'axe vertical va de 0 à 100 %."""
    largeur, hauteur = 720, 260
    gauche, droite, haut, bas = 48, largeur - 70, 12, hauteur - 32
    n = max(len(serie) - 1, 1)

    def x(i):
        return gauche + (droite - gauche) * i / n

    def y(part):
        return bas - (bas - haut) * (part or 0)

    points = [(x(i), y(part)) for i, (_mois, _nombre, part) in enumerate(serie)]
    ligne = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    aire = (
        f"M{gauche:.1f},{bas:.1f} "
        + " ".join(f"L{px:.1f},{py:.1f}" for px, py in points)
        + f" L{points[-1][0]:.1f},{bas:.1f} Z"
    )
    graduations_x = [(x(i), str(mois.year)) for i, (mois, _n, _p) in enumerate(serie) if mois.month == 1]
    graduations_y = [(y(p), part_texte(p)) for p in (0, 0.25, 0.5, 0.75, 1)]
    premier, dernier = serie[0], serie[-1]
    description = (
        f"De {part_texte(premier[2], 1)} en {premier[0]:%m/%Y} à {part_texte(dernier[2], 1)} en "
        f"{dernier[0]:%m/%Y} ({dernier[1]} communes). Valeurs mois par mois dans le tableau qui suit."
    )
    return Courbe(
        titre=titre,
        description=description,
        largeur=largeur,
        hauteur=hauteur,
        ligne=ligne,
        aire=aire,
        graduations_x=graduations_x,
        graduations_y=graduations_y,
        dernier=(points[-1][0], points[-1][1], part_texte(dernier[2], 1)),
        bas=bas,
        gauche=gauche,
        droite=droite,
    )


@dataclass
class Barres:
    titre: str
    description: str
    largeur: int
    hauteur: int
    barres: list  # [{"y", "largeur", "libelle", "texte", "y_texte"}]
    debut: int  # abscisse où commencent les barres


def barres(elements, *, titre):
    """elements : [(libellé, valeur numérique, texte de la valeur)] ; barres horizontales."""
    largeur, debut, fin, pas, epaisseur = 720, 250, 600, 28, 18
    maximum = max((valeur for _l, valeur, _t in elements), default=0) or 1
    resultat = []
    for i, (libelle, valeur, texte) in enumerate(elements):
        haut = 6 + i * pas
        resultat.append(
            {
                "y": haut,
                "y_texte": haut + epaisseur - 5,
                "largeur": max((fin - debut) * valeur / maximum, 1 if valeur else 0),
                "libelle": libelle,
                "texte": texte,
                "x_texte": debut + (fin - debut) * valeur / maximum + 6,
            }
        )
    description = "; ".join(f"{libelle} : {texte}" for libelle, _v, texte in elements) + "."
    return Barres(
        titre=titre,
        description=description,
        largeur=largeur,
        hauteur=12 + len(elements) * pas,
        barres=resultat,
        debut=debut,
    )


@dataclass
class BarresPhases:
    titre: str
    description: str
    largeur: int
    hauteur: int
    debut: int  # abscisse où commencent les barres
    x_libelle: int  # fin des libellés, alignés à droite
    epaisseur: int
    lignes: list  # [{"y", "y_texte", "libelle", "segments": [{"x", "largeur", "fond", "texte", "n", "x_texte"}], "total", "x_total"}]
    legende: list  # [{"x", "y", "fond", "libelle"}]


def barres_phases(lignes, *, titre="Communes par phase", legende=True):
    """lignes : [(libellé, {phase: nombre})] ; une barre empilée par ligne, toutes à la même échelle (la ligne
    la plus fournie occupe toute la largeur) ; la légende des phases en dessous."""
    largeur, debut, epaisseur, pas = 680, 190, 18, 25
    largeur_utile = largeur - debut - 40
    maximum = max((sum(phases.values()) for _l, phases in lignes), default=0) or 1
    resultat, y = [], 4
    for libelle, phases in lignes:
        segments, x = [], float(debut)
        for phase in Phase:
            n = phases.get(phase.value, 0)
            if n:
                fond, texte = COULEURS_PHASE[phase]
                etendue = largeur_utile * n / maximum
                segments.append(
                    {"x": x, "largeur": etendue, "fond": fond, "texte": texte, "n": n if etendue >= 14 else None,
                     "x_texte": x + etendue / 2}
                )  # fmt: skip
                x += etendue
        resultat.append(
            {"y": y, "y_texte": y + epaisseur - 5, "libelle": libelle, "segments": segments,
             "total": sum(phases.values()), "x_total": x + 5}
        )  # fmt: skip
        y += pas
    cases = []
    if legende:
        x, y = debut, y + 4
        for phase in Phase:
            etendue = 30 + 5.2 * len(phase.label)
            if x + etendue > largeur:
                x, y = debut, y + 16
            fond = COULEURS_PHASE[phase][0]
            cases.append(
                {"x": x, "y": y, "x_texte": x + 14, "y_texte": y + 9, "fond": fond, "libelle": phase.label}
            )
            x += etendue
        y += 16
    description = "; ".join(
        f"{libelle} : {sum(phases.values())} communes, dont "
        + ", ".join(f"{n} {Phase(code).label.lower()}" for code, n in phases.items() if n)
        for libelle, phases in lignes
    )
    return BarresPhases(
        titre=titre,
        description=description + ".",
        largeur=largeur,
        hauteur=y + 4,
        debut=debut,
        x_libelle=debut - 8,
        epaisseur=epaisseur,
        lignes=resultat,
        legende=cases,
    )
