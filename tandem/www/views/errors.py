from django.shortcuts import render


def not_found(request, exception=None):
    """A 404 page that says nothing about what was asked for: it may exist for someone else."""
    return render(request, "www/404.html", status=404)
