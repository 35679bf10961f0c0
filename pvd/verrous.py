"""Verrouillage optimiste : une seule règle pour tout ce qui se modifie à plusieurs (suivi, notes).

Chaque formulaire porte la version de l'objet lue à son ouverture ; l'enregistrement relit la ligne sous
verrou (SELECT … FOR UPDATE, dans la transaction du service) et refuse si quelqu'un l'a enregistrée entre
temps. Rien n'est écrasé ; la vue montre les valeurs actuelles."""


class ConflitEdition(Exception):
    """Quelqu'un a enregistré ce même objet depuis qu'il a été ouvert : rien n'est écrasé."""

    def __init__(self, actuel):
        self.actuel = actuel
        super().__init__("Cet élément a été modifié par quelqu’un d’autre pendant votre saisie.")


def version_verifier(queryset, *, pk, version):
    """La ligne pk relue sous verrou ; ConflitEdition si sa version n'est plus celle lue à l'ouverture
    (version None : rien n'a été lu, c'est un conflit aussi)."""
    actuel = queryset.select_for_update().get(pk=pk)
    if version is None or actuel.version != version:
        raise ConflitEdition(actuel)
    return actuel
