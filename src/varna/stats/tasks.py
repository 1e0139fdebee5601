"""Background work of follow-up, run by the task worker (`manage.py db_worker`)."""

from django.tasks import task

from varna.stats import committee, services
from varna.stats.models import ReportJob


@task()
def fold_rollups() -> str:
    """Fold the events written since the last fold into the rollups (varna.stats.services)."""
    return f"{services.fold()} folded"


@task()
def build_report(job_id: int) -> str:
    """Build a committee report's PDF, recording progress on its job row as it goes."""
    job = ReportJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return "nothing to build"
    services.report_progress(job, progress=5)
    try:
        pdf = committee.build(job, lambda done: services.report_progress(job, progress=done))
    except Exception as error:
        services.finish_report(job, pdf=None, error=f"{type(error).__name__}: {error}")
        raise
    services.finish_report(job, pdf=pdf)
    return f"{len(pdf)} bytes"
