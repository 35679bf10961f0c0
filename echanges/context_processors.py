from echanges.models import Notification


def notifications(request):
    """Nombre de notifications non lues de la cloche : une fonction que le gabarit appelle (sans requête si
    aucun gabarit ne le lit) ; le compte est fait une seule fois par requête HTTP."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def compter():
        if not hasattr(request, "_notifications_non_lues"):
            request._notifications_non_lues = Notification.objects.for_user(user).non_lues().count()
        return request._notifications_non_lues

    return {"notifications_non_lues": compter}
