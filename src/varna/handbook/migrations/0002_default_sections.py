"""The default sections for the municipalities that existed before the handbook.

New municipalities get them when they are created (varna.handbook.signals). The texts come
from varna.handbook.defaults (plain data) and are rendered by varna.handbook.markdown (a pure
function); the rows are written here with the historical models and only the fields of
0001, so that later changes to the models or to install_defaults do not break this step.
"""

from django.db import migrations
from django.utils import timezone

from varna.handbook import markdown
from varna.handbook.defaults import COMMENT, DEFAULTS


def install(apps, schema_editor):
    unit_model = apps.get_model("orgs", "Unit")
    section_model = apps.get_model("handbook", "Section")
    version_model = apps.get_model("handbook", "SectionVersion")
    link_model = apps.get_model("handbook", "SectionLink")
    now = timezone.now()
    # Rendered once, not once per municipality.
    rendered = {
        default.slug: (markdown.render(default.body), markdown.render(default.body_en))
        for default in DEFAULTS
    }
    for municipality in unit_model.objects.filter(parent__isnull=True).order_by("pk"):
        present = set(
            section_model.objects.filter(municipality=municipality).values_list("slug", flat=True)
        )
        for default in DEFAULTS:
            if default.slug in present:
                continue
            section = section_model.objects.create(
                municipality=municipality,
                slug=default.slug,
                kind=default.kind,
                position=default.position,
                in_introduction=default.in_introduction,
            )
            html, html_en = rendered[default.slug]
            section.current = version_model.objects.create(
                section=section,
                status="published",
                number=1,
                base_number=None,
                title=default.title,
                body=default.body,
                title_en=default.title_en,
                body_en=default.body_en,
                html=html,
                html_en=html_en,
                comment=COMMENT,
                published_at=now,
            )
            section.save(update_fields=["current"])
            link_model.objects.bulk_create(
                link_model(section=section, kind=kind, value=value) for kind, value in default.links
            )


class Migration(migrations.Migration):
    dependencies = [
        ("handbook", "0001_initial"),
    ]

    operations = [
        # Going back leaves the sections: they may have been edited since, and 0001's reversal
        # drops the tables anyway.
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
