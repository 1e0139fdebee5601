"""PLACEHOLDER: being written."""

from django.http import Http404


def audit_list(request, *args, **kwargs):
    raise Http404


def audit_new(request, *args, **kwargs):
    raise Http404


def audit_detail(request, *args, **kwargs):
    raise Http404


def audit_edit(request, *args, **kwargs):
    raise Http404


def recommendation_new(request, *args, **kwargs):
    raise Http404


def recommendation(request, *args, **kwargs):
    raise Http404


def measure_new(request, *args, **kwargs):
    raise Http404


def measure(request, *args, **kwargs):
    raise Http404
