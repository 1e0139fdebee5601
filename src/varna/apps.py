from django.contrib.admin.apps import AdminConfig


class VarnaAdminConfig(AdminConfig):
    default_site = "varna.admin.VarnaAdminSite"
