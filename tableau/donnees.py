"""Tableaux de chiffres du tableau de bord : un même objet sert à l'affichage (tableau DSFR avec légende),
aux graphiques (chacun a son tableau de données) et aux exports CSV / XLSX."""

from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from communes.constants import MESURES_PAR_AXE, Dispositif, MesureFondsVert, StatutAction
from pvd import formats
from pvd.formats import cle_alphabetique, nombre
from tableau.indicateurs import MOIS_FR, euros

ESPACE_FINE = "\u202f"
ESPACE_INSECABLE = "\u00a0"


def ordre_alphabetique(texte):
    """Clé de tri française (texte sans accents ni casse : Île-de-France entre Hauts-de-France et La Réunion),
    celle de pvd.formats.cle_alphabetique, qui sert partout ailleurs."""
    return cle_alphabetique(texte)[0]


def part_texte(part, decimales=0):
    """Une part en %, qui n'affiche jamais 100 % s'il manque quelque chose ni 0 % s'il y a quelque chose :
    « > 99 % », « < 1 % »."""
    if part is None:
        return "—"
    pas = 10**-decimales
    texte = f"{part * 100:.{decimales}f}"
    if part < 1 and float(texte) >= 100:
        texte = "> " + f"{100 - pas:.{decimales}f}"
    elif part > 0 and float(texte) == 0:
        texte = "< " + f"{pas:.{decimales}f}"
    return texte.replace(".", ",") + f"{ESPACE_INSECABLE}%"


def euros_texte(centimes):
    """Un montant des chiffres (en centimes), écrit comme tous les montants arrondis (pvd.formats.euros)."""
    return formats.euros(None if centimes is None else euros(centimes))


def mois_texte(date):
    return f"{MOIS_FR[date.month - 1]} {date.year}"


FORMATS = {
    "texte": lambda v: "" if v is None else str(v),
    "nombre": nombre,
    "part": lambda v: part_texte(v, 1),
    "euros": euros_texte,
    "mois": mois_texte,
}


@dataclass
class Colonne:
    titre: str
    format: str = "texte"  # texte, nombre, part (0..1), euros (centimes), mois (date)
    affichee: bool = True  # False : seulement dans les exports (tableau trop large à l'écran)

    @property
    def numerique(self):
        return self.format != "texte" and self.format != "mois"


@dataclass
class Donnees:
    """Un tableau de chiffres : `nom` l'identifie dans les exports (?export=csv&tableau=nom)."""

    nom: str
    titre: str
    colonnes: list
    lignes: list = field(default_factory=list)  # valeurs brutes
    liens: list | None = None  # adresse de la première cellule de chaque ligne
    total: list | None = None  # ligne de total (pied du tableau)
    feuille: str = ""  # nom de la feuille XLSX (31 caractères au plus) quand le titre est trop long

    @property
    def colonnes_affichees(self):
        return [c for c in self.colonnes if c.affichee]

    def _cellules(self, ligne, lien=None):
        cellules = []
        for i, (colonne, valeur) in enumerate(zip(self.colonnes, ligne, strict=True)):
            if not colonne.affichee:
                continue
            cellules.append(
                {
                    "texte": FORMATS[colonne.format](valeur),
                    "numerique": colonne.numerique,
                    "lien": lien if i == 0 else None,
                }
            )
        return cellules

    def affichage(self):
        liens = self.liens or [None] * len(self.lignes)
        return [self._cellules(ligne, lien) for ligne, lien in zip(self.lignes, liens, strict=True)]

    def affichage_total(self):
        return self._cellules(self.total) if self.total else None

    def html(self):
        """Le tableau DSFR (légende, en-têtes, lignes, total), produit ici plutôt que par une boucle de gabarit :
        une page en compte plusieurs centaines de cellules."""

        def ligne(cellules):
            return format_html_join(
                "",
                "{}",
                (
                    (
                        format_html(
                            '<th scope="row">{}</th>',
                            format_html('<a href="{}">{}</a>', c["lien"], c["texte"])
                            if c["lien"]
                            else c["texte"],
                        )
                        if i == 0
                        else format_html('<td class="pvd-nombre">{}</td>', c["texte"])
                        if c["numerique"]
                        else format_html("<td>{}</td>", c["texte"]),
                    )
                    for i, c in enumerate(cellules)
                ),
            )

        entetes = format_html_join(
            "",
            '<th scope="col"{}>{}</th>',
            (
                (mark_safe(' class="pvd-nombre"') if c.numerique else "", c.titre)
                for c in self.colonnes_affichees
            ),
        )
        lignes = format_html_join("", "<tr>{}</tr>", ((ligne(cellules),) for cellules in self.affichage()))
        if not self.lignes:
            lignes = format_html(
                '<tr><td colspan="{}">Aucune donnée.</td></tr>', len(self.colonnes_affichees)
            )
        total = self.affichage_total()
        pied = format_html("<tfoot><tr>{}</tr></tfoot>", ligne(total)) if total else ""
        return format_html(
            "<table><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody>{}</table>",
            self.titre,
            entetes,
            lignes,
            pied,
        )


# Tableaux du tableau de bord -----------------------------------------------------------------------------
def donnees_chiffres_cles(chiffres_cles):
    """Les chiffres clés, montants en euros : mêmes valeurs à l'écran et dans les exports."""

    def valeur(c):
        return euros(c.valeur) if c.format == "euros" else c.valeur

    return Donnees(
        nom="chiffres-cles",
        titre="Chiffres clés",
        colonnes=[
            Colonne("Indicateur"),
            Colonne("Valeur", "nombre"),
            Colonne("Unité"),
            Colonne("Sur", "nombre"),
            Colonne("Part", "part"),
            Colonne("Non renseignées", "nombre"),
            Colonne("À confirmer", "nombre"),
            Colonne("Détail"),
        ],
        lignes=[
            [
                f"{c.libelle} (€)" if c.format == "euros" else c.libelle,
                valeur(c),
                "€" if c.format == "euros" else c.definition.compte,
                c.total,
                c.part,
                c.non_renseignes,
                c.a_confirmer,
                c.detail,
            ]
            for c in chiffres_cles
        ],
    )


def donnees_sous_territoires(*, nom, titre, libelle, lignes, total):
    """lignes : [(nom, code, url, Chiffres)] ; total : Chiffres du périmètre."""

    def valeurs(etiquette, c):
        return [
            etiquette,
            c.communes,
            c.en_cours,
            c.adhesion,
            c.cadre_signee,
            c.taux(c.cadre_signee),
            c.en_cours - c.cadre_connu,
            c.ort_signee,
            c.taux(c.ort_signee),
            c.crte_couvertes,
            c.crtes_count,
            c.crte,
            c.operationnelle,
            c.taux(c.operationnelle),
            c.risque,
            c.a_renseigner,
            c.retard_cadre,
            c.chefs_en_poste,
            c.chefs_vacants,
            c.chefs_non_renseignes,
            c.actions_engagees,
            c.actions_total,
            c.financements_accordes,
            c.fonds_vert_accorde,
        ]

    return Donnees(
        nom=nom,
        titre=titre,
        colonnes=[
            Colonne(libelle),
            Colonne("Communes PVD", "nombre"),
            Colonne("Communes en cours", "nombre", affichee=False),
            Colonne("Adhésion signée", "nombre", affichee=False),
            Colonne("Convention-cadre signée", "nombre"),
            Colonne("Convention-cadre signée, part", "part", affichee=False),
            Colonne("Convention-cadre non renseignée", "nombre", affichee=False),
            Colonne("ORT signée", "nombre"),
            Colonne("ORT signée, part", "part", affichee=False),
            Colonne("Couvertes par un CRTE", "nombre"),
            Colonne("CRTE distincts", "nombre"),
            Colonne("Inscrites au CRTE", "nombre", affichee=False),
            Colonne("Phase opérationnelle", "nombre"),
            Colonne("Phase opérationnelle, part", "part"),
            Colonne("En difficulté", "nombre"),
            Colonne("À renseigner", "nombre"),
            Colonne("Échéance des 18 mois dépassée", "nombre", affichee=False),
            Colonne("Chefs de projet en poste", "nombre"),
            Colonne("Postes vacants", "nombre", affichee=False),
            Colonne("Chef de projet non renseigné", "nombre", affichee=False),
            Colonne("Actions engagées ou livrées", "nombre"),
            Colonne("Actions", "nombre", affichee=False),
            Colonne("Financements accordés", "euros"),
            Colonne("dont fonds vert", "euros", affichee=False),
        ],
        lignes=[valeurs(f"{n} ({code})" if code else n, c) for n, code, _url, c in lignes],
        liens=[url for _n, _code, url, _c in lignes],
        total=valeurs("Total", total),
    )


def donnees_mensuelles(serie):
    return Donnees(
        nom="phase-operationnelle-par-mois",
        titre="Communes en phase opérationnelle, à la fin de chaque mois",
        feuille="Phase opérationnelle par mois",
        colonnes=[
            Colonne("Mois", "mois"),
            Colonne("Communes en phase opérationnelle", "nombre"),
            Colonne("Part des communes PVD", "part"),
        ],
        lignes=[[mois, nombre, part] for mois, nombre, part in reversed(serie)],
    )


def donnees_actions(total):
    lignes = [
        [statut.label, total.actions.get(statut.value, 0), total.actions_cout.get(statut.value, 0)]
        for statut in StatutAction
    ]
    return Donnees(
        nom="actions-par-statut",
        titre="Actions par statut",
        colonnes=[Colonne("Statut"), Colonne("Actions", "nombre"), Colonne("Coût total", "euros")],
        lignes=lignes,
        total=["Total", total.actions_total, sum(total.actions_cout.values())],
    )


def donnees_financements(total):
    par_dispositif = total.par_dispositif()
    lignes = [
        [dispositif.label, *par_dispositif.get(dispositif.value, [0, 0, 0])]
        for dispositif in Dispositif
        if dispositif != Dispositif.FONDS_VERT
    ]
    autres = [sum(ligne[i] for ligne in lignes) for i in (1, 2, 3)]
    fonds_vert = par_dispositif.get(Dispositif.FONDS_VERT.value, [0, 0, 0])
    return Donnees(
        nom="financements-par-dispositif",
        titre="Financements par dispositif (hors fonds vert)",
        feuille="Financements hors fonds vert",
        colonnes=[
            Colonne("Dispositif"),
            Colonne("Lignes de financement", "nombre"),
            Colonne("Montant demandé", "euros"),
            Colonne("Montant accordé", "euros"),
        ],
        lignes=lignes,
        total=["Total hors fonds vert", *autres],
    ), fonds_vert


def donnees_fonds_vert(total):
    par_mesure = total.fonds_vert_par_mesure()

    lignes = []
    for axe, mesures in MESURES_PAR_AXE.items():
        for mesure in mesures:
            lignes.append(
                [axe.label, MesureFondsVert(mesure).label, *par_mesure.get(mesure.value, [0, 0, 0])]
            )
    totaux = [sum(ligne[i] for ligne in lignes) for i in (2, 3, 4)]
    return Donnees(
        nom="fonds-vert-par-mesure",
        titre="Fonds vert par axe et par mesure",
        feuille="Fonds vert par axe et mesure",
        colonnes=[
            Colonne("Axe"),
            Colonne("Mesure"),
            Colonne("Dossiers", "nombre"),
            Colonne("Montant demandé", "euros"),
            Colonne("Montant accordé", "euros"),
        ],
        lignes=lignes,
        total=["Total fonds vert", "", *totaux],
    )


def donnees_carte(*, indicateur, zones, libelle):
    zones = sorted((z for z in zones if not z["hors_perimetre"]), key=lambda z: ordre_alphabetique(z["nom"]))
    return Donnees(
        nom="carte",
        titre=f"{indicateur.libelle} par {libelle.lower()}",
        feuille=f"Carte par {libelle.lower()}",  # l'indicateur est le titre de la seconde colonne
        colonnes=[Colonne(libelle), Colonne(indicateur.libelle, indicateur.format)],
        lignes=[[z["etiquette"], z["valeur"]] for z in zones],
        liens=[z["url"] for z in zones],
    )
