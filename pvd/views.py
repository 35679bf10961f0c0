from django.shortcuts import redirect

from comptes.constants import Role


def accueil(request):
    """Chaque rôle arrive sur son territoire : ses communes, sa région ou la France entière."""
    user = request.user
    if user.role == Role.DEPARTEMENTAL:
        return redirect("communes:liste")
    if user.role == Role.REGIONAL:
        return redirect("territoires:region", code=user.region_id)
    return redirect("territoires:regions")
