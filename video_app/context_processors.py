from django.conf import settings


def product(request):
    """The product's name for every template (titles, navigation, emails)."""
    return {"PRODUCT_NAME": settings.PRODUCT_NAME}
