"""Django admin for staff."""

from django.conf import settings
from django.contrib import admin

admin.site.site_header = f"{settings.PRODUCT_NAME} administration"
admin.site.site_title = f"{settings.PRODUCT_NAME} admin"
admin.site.index_title = "Projects, users and billing"
