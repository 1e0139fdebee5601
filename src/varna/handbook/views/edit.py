"""PLACEHOLDER: being written."""

from django.http import Http404


def edit(request, *args, **kwargs):
    raise Http404


def history(request, *args, **kwargs):
    raise Http404


def new_section(request, *args, **kwargs):
    raise Http404


def publish(request, *args, **kwargs):
    raise Http404


def version(request, *args, **kwargs):
    raise Http404
