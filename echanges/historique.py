"""Les dépôts de pièces jointes dans l’historique de la fiche commune (inscrit dans communes.historique.SOURCES
par EchangesConfig.ready)."""

from django.template.defaultfilters import filesizeformat

from echanges.models import VersionPiece


def evenements_pieces(territoire, Evenement):
    """Un événement par version déposée sur une commune du territoire (une requête)."""
    lignes = (
        VersionPiece.history.filter(piece__commune__territoire_id=territoire.pk, history_type="+")
        .select_related("history_user", "piece")
        .order_by("history_date")
    )
    evenements = []
    for ligne in lignes:
        auteur = ligne.history_user
        evenements.append(
            Evenement(
                date=ligne.history_date,
                auteur=(auteur.get_full_name() or auteur.username) if auteur else "PVD Suivi",
                type="Pièce jointe déposée",
                objet=f"{ligne.piece.get_type_display()} « {ligne.piece.titre} », version {ligne.numero}",
                changements=[("Fichier", "—", f"{ligne.nom_original} ({filesizeformat(ligne.taille)})")],
            )
        )
    return evenements
