from django.conf import settings

# The wizard's pages in order: (URL name, label).
WIZARD_STEPS = (
    ("script", "Script"),
    ("storyboard", "Scenes"),
    ("media", "Media"),
    ("voice", "Voice"),
    ("render", "Render"),
    ("project_detail", "Result"),
)


def product(request):
    """The product's name for every template (titles, navigation, emails); the wizard's steps."""
    return {"PRODUCT_NAME": settings.PRODUCT_NAME, "wizard_steps": WIZARD_STEPS}
