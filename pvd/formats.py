"""Mise en forme française de ce que l'on affiche : ordre alphabétique, dates, pluriels, nombres.

Fonctions pures, sans accès à la base : les gabarits s'en servent par les filtres de
pvd/templatetags/formats.py (disponibles partout), le code Python directement (tris, PDF, exports)."""

import datetime
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

ESPACE_FINE = "\u202f"  # espace fine insécable : séparateur des milliers
MOIS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
# Lettres qui ne se décomposent pas en lettre de base + accent.
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": "'", "ʼ": "'"})


def _sans_accents(texte):
    """Le texte en minuscules, sans accents ni ligatures (« Œuilly » → « oeuilly »)."""
    decompose = unicodedata.normalize("NFKD", (texte or "").translate(LIGATURES))
    return "".join(c for c in decompose if not unicodedata.combining(c)).casefold()


def cle_alphabetique(texte):
    """Clé de tri français : lettres sans accents ni casse d'abord (« Réquista » avant « Rieupeyroux » avant
    « Rignac », « Élancourt » parmi les E, « Œuilly » comme « Oeuilly »), puis le texte exact pour départager.
    C'est aussi la collation fr-x-icu déclarée sous SQLite (territoires/apps.py) : Python et la base trient de
    la même façon."""
    return _sans_accents(texte), texte or ""


def texte_recherche(texte):
    """Forme de recherche d'un nom : minuscules, sans accents ni ligatures, tirets, apostrophes et autres
    signes remplacés par une espace (« Châtillon-en-Vendelais » → « chatillon en vendelais », « L’Haÿ » →
    « l hay »). Le même calcul remplit les colonnes nom_recherche et transforme ce que l'on cherche : les deux
    bases (SQLite, PostgreSQL) comparent alors les mêmes chaînes."""
    return " ".join("".join(c if c.isalnum() else " " for c in _sans_accents(texte)).split())


def trier_alphabetique(objets, cle=lambda objet: objet.nom):
    """Liste des objets dans l'ordre alphabétique français de cle(objet) (par défaut, leur nom)."""
    return sorted(objets, key=lambda objet: cle_alphabetique(cle(objet)))


JOURS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def _locale(valeur):
    from django.utils import timezone

    return timezone.localtime(valeur) if timezone.is_aware(valeur) else valeur


def date_longue(valeur, *, jour_semaine=False):
    """« 1er janvier 2024 », « 25 juin 2023 » (« lundi 1er janvier 2024 » avec jour_semaine) ; une date et
    heure est prise à sa date locale."""
    if not valeur:
        return ""
    if isinstance(valeur, datetime.datetime):
        valeur = _locale(valeur).date()
    jour = "1er" if valeur.day == 1 else str(valeur.day)
    texte = f"{jour} {MOIS[valeur.month - 1]} {valeur.year}"
    return f"{JOURS[valeur.weekday()]} {texte}" if jour_semaine else texte


def date_heure_longue(valeur):
    """« 1er janvier 2024 à 09:05 », à l'heure locale."""
    if not valeur:
        return ""
    if not isinstance(valeur, datetime.datetime):
        return date_longue(valeur)
    valeur = _locale(valeur)
    return f"{date_longue(valeur.date())} à {valeur:%H:%M}"


def nombre(valeur, decimales=None):
    """« 1 645 », « 12 345,5 » : espace fine insécable entre les milliers, virgule décimale ; « — » si vide.
    decimales=None : entier si la valeur est entière, sinon telle quelle (au plus 2 décimales)."""
    if valeur is None or valeur == "":
        return "—"
    if isinstance(valeur, str):
        try:
            valeur = Decimal(valeur.replace(ESPACE_FINE, "").replace(" ", "").replace(",", "."))
        except ArithmeticError:
            return valeur
    valeur = Decimal(str(valeur)) if isinstance(valeur, float) else Decimal(valeur)
    if decimales is None:
        decimales = (
            0 if valeur == valeur.to_integral_value() else min(2, -valeur.normalize().as_tuple().exponent)
        )
    arrondi = valeur.quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)
    texte = f"{arrondi:,.{decimales}f}"
    return texte.replace(",", ESPACE_FINE).replace(".", ",")


def pluriel(n, singulier, pluriel_=None):
    """Le nom accordé au nombre, à la française : 0 et 1 au singulier (« 0 réunion », « 1 réunion »,
    « 2 réunions ») ; pluriel_ par défaut : singulier + « s »."""
    return singulier if n is None or abs(n) < 2 else (pluriel_ or f"{singulier}s")


def compte(n, singulier, pluriel_=None):
    """« 0 réunion », « 1 645 communes » : le nombre (séparateur des milliers) et le nom accordé."""
    return f"{nombre(n or 0)} {pluriel(n or 0, singulier, pluriel_)}"


def montant(valeur):
    """« 480 000 € », « 480 000,50 € » : un montant en euros, au centime s'il en a ; « — » si vide."""
    if valeur is None or valeur == "":
        return "—"
    valeur = Decimal(str(valeur)) if isinstance(valeur, float) else Decimal(valeur)
    return f"{nombre(valeur, 0 if valeur == valeur.to_integral_value() else 2)}\u00a0€"


def euros(valeur):
    """« 1 234 567 € » : un montant arrondi à l'euro (tableaux de bord, notes) ; « — » si vide."""
    if valeur is None or valeur == "":
        return "—"
    valeur = Decimal(str(valeur)) if isinstance(valeur, float) else Decimal(valeur)
    return f"{nombre(valeur.quantize(Decimal(1), rounding=ROUND_HALF_UP))}\u00a0€"


def euros_court(valeur):
    """« 632,5 M€ », « 12,3 k€ » : un montant en millions ou en milliers pour les tuiles ; sous mille euros,
    celui de euros()."""
    if valeur is None or valeur == "":
        return "—"
    valeur = Decimal(str(valeur)) if isinstance(valeur, float) else Decimal(valeur)
    for seuil, suffixe in ((Decimal(10**9), "Md€"), (Decimal(10**6), "M€"), (Decimal(10**3), "k€")):
        if valeur >= seuil:
            return f"{nombre(valeur / seuil, 1)}\u00a0{suffixe}"
    return euros(valeur)


ESPACES = str.maketrans({" ": "", "\u00a0": "", ESPACE_FINE: "", "\u2009": "", "\t": ""})


class MontantIllisible(ValueError):
    """Texte qui n'est pas un montant, ou qui en est un de deux façons (le message dit pourquoi)."""


def montant_lire(texte):
    """Le montant qu'écrit une personne, à la française : « 480 000,50 », « 480 000,50 € », « 480000 »,
    espaces normales, insécables ou fines entre les milliers. Le point n'est accepté que comme virgule
    décimale sans ambiguïté (« 90000.50 ») ; « 480.000 » (480 mille ou 480 ?) et « 1.234,50 » sont refusés,
    comme plus de deux décimales. Renvoie un Decimal, ou None pour un texte vide."""
    import re

    texte = (texte or "").strip()
    if texte.endswith("€"):
        texte = texte[:-1]
    elif texte.upper().endswith("EUR"):
        texte = texte[:-3]
    texte = texte.strip()
    if not texte:
        return None
    signe = ""
    if texte[0] in "-−":
        signe, texte = "-", texte[1:].lstrip()
    groupes = texte.replace("\u00a0", " ").replace(ESPACE_FINE, " ").replace("\u2009", " ")
    if "." in texte and "," in texte:
        raise MontantIllisible(
            "Écrivez le montant avec des espaces entre les milliers et une virgule avant les centimes, "
            "par exemple « 480 000,50 »."
        )
    if texte.count(".") > 1 or re.fullmatch(r"[\d\s\u00a0\u202f\u2009]*\.\d{3}", texte):
        raise MontantIllisible(
            "Montant ambigu : le point sépare-t-il les milliers ou les centimes ? Écrivez « 480 000 » ou "
            "« 480,50 »."
        )
    if not re.fullmatch(r"\d{1,3}( \d{3})+([.,]\d+)?|\d+([.,]\d+)?", groupes):
        raise MontantIllisible(
            "Saisissez un montant en euros, en chiffres, par exemple « 480 000,50 » (espaces entre les "
            "milliers par groupes de trois chiffres, virgule avant les centimes)."
        )
    entier, _, decimales = groupes.translate(ESPACES).replace(",", ".").partition(".")
    if len(decimales) > 2:
        raise MontantIllisible("Un montant a au plus deux décimales (les centimes).")
    return Decimal(f"{signe}{entier}.{decimales or '0'}")
