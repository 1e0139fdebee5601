"""PLACEHOLDER: being written."""

from django.http import Http404


def mine(request, *args, **kwargs):
    raise Http404


def unit_coverage(request, *args, **kwargs):
    raise Http404


def register(request, *args, **kwargs):
    raise Http404
